import {
  CredentialReportExpiredException,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  NoSuchEntityException,
  type AccessKeyMetadata,
  type GetCredentialReportCommandOutput,
  type ListAccessKeysCommandInput,
} from '@aws-sdk/client-iam';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { IamClientProvider } from '../client/iam-client.provider';
import { iamConfig, type IamConfig } from '../config/iam.config';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import { HOUR_MS, IAM_CLOCK, type Clock } from '../iam.constants';
import type { ScanQuery } from '../iam.types';
import { reportBytes, reportCsv, reportDate, type ReportRow } from '../../../../test/support/credential-report.builder';
import { IamCallMeter, meterStorage } from '../scan/iam-call-meter';
import { RequestSlots } from '../scan/request-slots';
import { CredentialReportStrategy } from './credential-report.strategy';
import { testIamConfig } from '../testing/iam-config.fixture';

const iamMock = mockClient(IAMClient);

const NOW = Date.parse('2026-03-01T12:00:00Z');
const GENERATED = new Date(NOW - 2 * HOUR_MS);
const hoursAgo = (h: number) => new Date(NOW - h * HOUR_MS);

const baseConfig: IamConfig = testIamConfig();

const q = (hours: number, includeInactive = false): ScanQuery => ({ hours, includeInactive });

function report(rows: ReportRow[], generated = GENERATED): Partial<GetCredentialReportCommandOutput> {
  return { Content: reportBytes(rows), ReportFormat: 'text/csv', GeneratedTime: generated };
}

/** A report row with slot 1 (and optionally slot 2) set; dates in the report's own format. */
function row(user: string, key1?: [string, Date], key2?: [string, Date], extra: Partial<ReportRow> = {}): ReportRow {
  return {
    user,
    ...(key1 && { access_key_1_active: key1[0], access_key_1_last_rotated: reportDate(key1[1]) }),
    ...(key2 && { access_key_2_active: key2[0], access_key_2_last_rotated: reportDate(key2[1]) }),
    ...extra,
  };
}

function key(userName: string, accessKeyId: string, createDate: Date, status = 'Active'): AccessKeyMetadata {
  return { UserName: userName, AccessKeyId: accessKeyId, CreateDate: createDate, Status: status as 'Active' };
}

const awsError = (name: string) =>
  new IAMServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'denied' });

const SDK_REPORT_ERRORS = {
  notPresent: () => new CredentialReportNotPresentException({ message: 'no report', $metadata: {} }),
  expired: () => new CredentialReportExpiredException({ message: 'expired', $metadata: {} }),
  inProgress: () => new CredentialReportNotReadyException({ message: 'in progress', $metadata: {} }),
};

describe(CredentialReportStrategy.name, () => {
  let nowMs: number;
  let clock: Clock;
  let sleep: jest.Mock<Promise<void>, [number]>;
  let provider: IamClientProvider;
  let accessKeys: Record<string, AccessKeyMetadata[]>;
  let sut: CredentialReportStrategy;

  function build(config: IamConfig = baseConfig): CredentialReportStrategy {
    provider = new IamClientProvider(config);
    return new CredentialReportStrategy(provider, config, clock, sleep);
  }

  const calls = {
    generate: () => iamMock.commandCalls(GenerateCredentialReportCommand).length,
    get: () => iamMock.commandCalls(GetCredentialReportCommand).length,
    listKeysUsers: () => iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input.UserName),
  };
  const sleeps = () => sleep.mock.calls.map(([ms]) => ms);

  async function scanError(query = q(24)): Promise<IamException> {
    const err: unknown = await sut.scan(query).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IamException);
    return err as IamException;
  }

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    iamMock.reset();
    nowMs = NOW;
    clock = { now: () => new Date(nowMs) };
    sleep = jest.fn((ms: number) => {
      nowMs += ms;
      return Promise.resolve();
    });
    accessKeys = {};
    iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
    iamMock.on(GetCredentialReportCommand).resolves(report([row('alice')]));
    iamMock.on(ListAccessKeysCommand).callsFake((input: ListAccessKeysCommandInput) => ({
      AccessKeyMetadata: accessKeys[input.UserName ?? ''] ?? [],
    }));
    sut = build();
  });

  afterEach(async () => {
    await provider.onModuleDestroy();
  });

  describe('getting the report', () => {
    it('reads a report that is already COMPLETE without waiting', async () => {
      const result = await sut.scan(q(24));

      expect(iamMock).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 1);
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 1);
      expect(sleep).not.toHaveBeenCalled();
      expect(result).toMatchObject({
        source: 'credential-report',
        keys: [],
        rootKeys: [],
        dataReadAt: GENERATED,
        reportGeneratedAt: GENERATED,
      });
    });

    it('polls GenerateCredentialReport through STARTED and INPROGRESS with a growing delay', async () => {
      iamMock
        .on(GenerateCredentialReportCommand)
        .resolvesOnce({ State: 'STARTED' })
        .resolvesOnce({ State: 'INPROGRESS' })
        .resolvesOnce({ State: 'INPROGRESS' })
        .resolves({ State: 'COMPLETE' });

      await sut.scan(q(24));

      expect(iamMock).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 4);
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 1);
      expect(sleeps()).toEqual([100, 200, 400]);
    });

    it.each([
      ['the SDK error class', SDK_REPORT_ERRORS.inProgress],
      ['the wire error code', () => awsError('ReportInProgress')],
    ])('polls GetCredentialReport while it says in progress (%s)', async (_how, error) => {
      iamMock
        .on(GetCredentialReportCommand)
        .rejectsOnce(error())
        .rejectsOnce(error())
        .resolves(report([row('alice')]));

      const result = await sut.scan(q(24));

      expect(result.reportGeneratedAt).toEqual(GENERATED);
      expect(iamMock).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 1);
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 3);
      expect(sleeps()).toEqual([100, 200]);
    });

    it.each([
      ['not present (SDK error class)', SDK_REPORT_ERRORS.notPresent],
      ['not present (wire error code)', () => awsError('ReportNotPresent')],
      ['expired (SDK error class)', SDK_REPORT_ERRORS.expired],
      ['expired (wire error code)', () => awsError('ReportExpired')],
    ])('generates the report once more when it is %s', async (_how, error) => {
      iamMock
        .on(GenerateCredentialReportCommand)
        .resolvesOnce({ State: 'COMPLETE' })
        .resolvesOnce({ State: 'STARTED' })
        .resolves({ State: 'COMPLETE' });
      iamMock
        .on(GetCredentialReportCommand)
        .rejectsOnce(error())
        .resolves(report([row('alice')]));

      const result = await sut.scan(q(24));

      expect(result.stats.usersSeen).toBe(1);
      expect(iamMock).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 3);
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 2);
      expect(sleeps()).toEqual([100]);
    });

    it.each([
      ['not present', SDK_REPORT_ERRORS.notPresent, IamErrorCode.ReportNotPresent],
      ['expired', SDK_REPORT_ERRORS.expired, IamErrorCode.ReportExpired],
    ])('fails when the report is %s again after regenerating', async (_how, error, code) => {
      iamMock.on(GetCredentialReportCommand).rejects(error());

      const err = await scanError();

      expect(err).toMatchObject({ code, action: 'GetCredentialReport' });
      expect(iamMock).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 2);
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 2);
    });

    it('gives up with ReportNotReady and a retry hint when generation outlasts the maximum wait', async () => {
      iamMock.on(GenerateCredentialReportCommand).resolvesOnce({ State: 'STARTED' }).resolves({ State: 'INPROGRESS' });

      const err = await scanError();

      expect(err).toMatchObject({
        code: IamErrorCode.ReportNotReady,
        action: 'GetCredentialReport',
        retryAfterSeconds: 5,
      });
      expect(sleeps()).toEqual([100, 200, 400, 300]);
      expect(nowMs - NOW).toBe(baseConfig.reportMaxWaitMs);
      expect(iamMock).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 5);
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 0);
    });

    it('gives up with ReportNotReady when GetCredentialReport stays in progress', async () => {
      iamMock.on(GetCredentialReportCommand).rejects(SDK_REPORT_ERRORS.inProgress());

      const err = await scanError();

      expect(err).toMatchObject({ code: IamErrorCode.ReportNotReady, retryAfterSeconds: 5 });
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 5);
      expect(calls.listKeysUsers()).toEqual([]);
    });

    it('surfaces AccessDenied on GenerateCredentialReport with the action, and goes no further', async () => {
      iamMock.on(GenerateCredentialReportCommand).rejects(awsError('AccessDenied'));

      const err = await scanError();

      expect(err).toMatchObject({
        code: IamErrorCode.AccessDenied,
        action: 'GenerateCredentialReport',
        awsErrorName: 'AccessDenied',
      });
      expect(iamMock).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 1);
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 0);
    });

    it('surfaces AccessDenied on GetCredentialReport without regenerating', async () => {
      iamMock.on(GetCredentialReportCommand).rejects(awsError('AccessDenied'));

      const err = await scanError();

      expect(err).toMatchObject({ code: IamErrorCode.AccessDenied, action: 'GetCredentialReport' });
      expect(iamMock).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 1);
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 1);
    });
    it('really sleeps between polls when Nest builds it without a sleep override', async () => {
      const config = { ...baseConfig, reportPollIntervalMs: 20 };
      const moduleRef = await Test.createTestingModule({
        providers: [
          CredentialReportStrategy,
          { provide: IamClientProvider, useValue: provider },
          { provide: iamConfig.KEY, useValue: config },
          { provide: IAM_CLOCK, useValue: { now: () => new Date() } },
        ],
      }).compile();
      iamMock.on(GenerateCredentialReportCommand).resolvesOnce({ State: 'STARTED' }).resolves({ State: 'COMPLETE' });

      const started = performance.now();
      await moduleRef.get(CredentialReportStrategy).scan(q(24));

      expect(performance.now() - started).toBeGreaterThanOrEqual(15);
      expect(iamMock).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 2);
    });
  });

  describe('reading the report', () => {
    it('reads Content as the bytes the SDK already decoded', async () => {
      const content = new TextEncoder().encode(reportCsv([row('alice', ['true', hoursAgo(100)])]));
      iamMock.on(GetCredentialReportCommand).resolves({ Content: content, GeneratedTime: GENERATED });
      accessKeys.alice = [key('alice', 'AKIAALICE1', hoursAgo(100))];

      const result = await sut.scan(q(24));

      expect(result.keys.map((k) => k.accessKeyId)).toEqual(['AKIAALICE1']);
    });

    it('does not base64-decode Content a second time: base64 text is a malformed report', async () => {
      const base64 = Buffer.from(reportCsv([row('alice', ['true', hoursAgo(100)])])).toString('base64');
      iamMock
        .on(GetCredentialReportCommand)
        .resolves({ Content: new TextEncoder().encode(base64), GeneratedTime: GENERATED });

      const err = await scanError();

      expect(err.code).toBe(IamErrorCode.ReportMalformed);
      expect(calls.listKeysUsers()).toEqual([]);
    });

    it('fails with ReportMalformed on a header without the key columns', async () => {
      iamMock
        .on(GetCredentialReportCommand)
        .resolves({ Content: new TextEncoder().encode('user,arn\nalice,arn:aws:iam::1:user/alice\n') });

      const err = await scanError();

      expect(err).toMatchObject({ code: IamErrorCode.ReportMalformed, action: 'GetCredentialReport' });
    });
  });

  describe('finding old keys', () => {
    const rows = (): ReportRow[] => [
      row('<root_account>', ['true', hoursAgo(5000)], ['false', hoursAgo(6000)], {
        user_creation_time: reportDate(hoursAgo(9000)),
      }),
      row('alice', ['true', hoursAgo(100)]),
      row('bob', undefined, ['TRUE', hoursAgo(48)]),
      row('carol', ['true', hoursAgo(10)], ['True', hoursAgo(5)]),
      row('dave', undefined, undefined, { access_key_1_last_rotated: 'not_supported' }),
      row('erin', ['FALSE', hoursAgo(200)], ['true', hoursAgo(1)]),
      row('frank', ['true', hoursAgo(300)], ['false', hoursAgo(30)]),
      row('young', undefined, undefined, { user_creation_time: reportDate(hoursAgo(3)) }),
    ];

    beforeEach(() => {
      iamMock.on(GetCredentialReportCommand).resolves(report(rows()));
      accessKeys = {
        alice: [key('alice', 'AKIAALICE1', hoursAgo(100))],
        bob: [key('bob', 'AKIABOB1', hoursAgo(48))],
        carol: [key('carol', 'AKIACAROL1', hoursAgo(10)), key('carol', 'AKIACAROL2', hoursAgo(5))],
        erin: [key('erin', 'AKIAERIN1', hoursAgo(200), 'Inactive'), key('erin', 'AKIAERIN2', hoursAgo(1))],
        frank: [key('frank', 'AKIAFRANK1', hoursAgo(300)), key('frank', 'AKIAFRANK2', hoursAgo(30), 'Inactive')],
      };
    });

    it('looks up key ids only for users whose report row shows an old active key, in either slot', async () => {
      const result = await sut.scan(q(24));

      expect(calls.listKeysUsers()).toEqual(['alice', 'bob', 'frank']);
      expect(result.keys).toEqual([
        {
          userName: 'frank',
          accessKeyId: 'AKIAFRANK1',
          createdDate: hoursAgo(300),
          status: 'Active',
          ageHours: 300,
        },
        { userName: 'alice', accessKeyId: 'AKIAALICE1', createdDate: hoursAgo(100), status: 'Active', ageHours: 100 },
        { userName: 'bob', accessKeyId: 'AKIABOB1', createdDate: hoursAgo(48), status: 'Active', ageHours: 48 },
      ]);
      expect(result.rootKeys).toEqual([{ slot: 1, active: true, lastRotated: hoursAgo(5000), ageHours: 5000 }]);
      expect(result.stats).toMatchObject({
        usersSeen: 7,
        usersSkippedYoung: 1,
        usersVanished: 0,
        throttles: 0,
        retries: 0,
      });
    });

    it('includes inactive keys and the inactive root key with includeInactive', async () => {
      const result = await sut.scan(q(24, true));

      expect(calls.listKeysUsers()).toEqual(['alice', 'bob', 'erin', 'frank']);
      expect(result.keys.map((k) => [k.accessKeyId, k.status])).toEqual([
        ['AKIAFRANK1', 'Active'],
        ['AKIAERIN1', 'Inactive'],
        ['AKIAALICE1', 'Active'],
        ['AKIABOB1', 'Active'],
        ['AKIAFRANK2', 'Inactive'],
      ]);
      expect(result.rootKeys).toEqual([
        { slot: 1, active: true, lastRotated: hoursAgo(5000), ageHours: 5000 },
        { slot: 2, active: false, lastRotated: hoursAgo(6000), ageHours: 6000 },
      ]);
    });

    it('makes no ListAccessKeys call when only the root account has old keys', async () => {
      const result = await sut.scan(q(1000));

      expect(calls.listKeysUsers()).toEqual([]);
      expect(result.keys).toEqual([]);
      expect(result.rootKeys).toEqual([{ slot: 1, active: true, lastRotated: hoursAgo(5000), ageHours: 5000 }]);
    });

    it('drops a key rotated since the report: the report says old, the real CreateDate is young', async () => {
      accessKeys.alice = [key('alice', 'AKIAALICENEW', hoursAgo(1))];

      const result = await sut.scan(q(24));

      expect(calls.listKeysUsers()).toEqual(['alice', 'bob', 'frank']);
      expect(result.keys.map((k) => k.accessKeyId)).toEqual(['AKIAFRANK1', 'AKIABOB1']);
    });

    it('skips and counts a user deleted since the report, keeping the others', async () => {
      iamMock
        .on(ListAccessKeysCommand, { UserName: 'bob' })
        .rejects(new NoSuchEntityException({ message: 'gone', $metadata: {} }));

      const result = await sut.scan(q(24));

      expect(calls.listKeysUsers()).toEqual(['alice', 'bob', 'frank']);
      expect(result.keys.map((k) => k.accessKeyId)).toEqual(['AKIAFRANK1', 'AKIAALICE1']);
      expect(result.stats.usersVanished).toBe(1);
    });

    it('fails fast on AccessDenied from ListAccessKeys: the queued lookups are never prepared', async () => {
      sut = build({ ...baseConfig, concurrency: 1 });
      iamMock.on(ListAccessKeysCommand).rejects(awsError('AccessDenied'));

      const err = await scanError();

      expect(err).toMatchObject({ code: IamErrorCode.AccessDenied, action: 'ListAccessKeys' });
      // bob's call was prepared while alice's was out; the real client stops it at its slot (request-slots.spec).
      expect(calls.listKeysUsers()).toEqual(['alice', 'bob']);
    });

    it('runs the scan under its own call meter', async () => {
      const meters: Array<IamCallMeter | undefined> = [];
      iamMock.on(ListAccessKeysCommand).callsFake((input: ListAccessKeysCommandInput) => {
        meters.push(meterStorage.getStore());
        return { AccessKeyMetadata: accessKeys[input.UserName ?? ''] };
      });

      await sut.scan(q(24));

      expect(meters).toHaveLength(3);
      expect(meters[0]).toBeInstanceOf(IamCallMeter);
      expect(new Set(meters).size).toBe(1);
    });
  });

  it("prepares at most twice `concurrency` ListAccessKeys calls, each holding the scan's request slots", async () => {
    // The mocked client takes no slot: this shows the strategy's side; request-slots.spec shows IAM's.
    const users = Array.from({ length: 12 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
    iamMock.on(GetCredentialReportCommand).resolves(report(users.map((u) => row(u, ['true', hoursAgo(100)]))));
    let inFlight = 0;
    let peak = 0;
    iamMock.on(ListAccessKeysCommand).callsFake(async (input: ListAccessKeysCommandInput) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return { AccessKeyMetadata: [key(input.UserName ?? '', `AKIA${input.UserName}`, hoursAgo(100))] };
    });
    const listAccessKeys = jest.spyOn(provider, 'listAccessKeys');

    const result = await sut.scan(q(24));

    expect(peak).toBe(2 * baseConfig.concurrency);
    const [first, ...others] = listAccessKeys.mock.calls.map(([, slots]) => slots);
    expect(first).toBeInstanceOf(RequestSlots);
    expect(first).toMatchObject({ limit: baseConfig.concurrency });
    expect(others.every((slots) => slots === first)).toBe(true);
    expect(iamMock).toHaveReceivedCommandTimes(ListAccessKeysCommand, 12);
    expect(result.keys.map((k) => k.userName)).toEqual(users);
  });

  describe('warm key ids', () => {
    const inventory = q(0, true);
    let rows: Record<string, ReportRow>;
    let cold: Awaited<ReturnType<typeof scanAgain>>;

    const publish = () => iamMock.on(GetCredentialReportCommand).resolves(report(Object.values(rows)));

    /** One scan: who ListAccessKeys was asked about, and the answer as `user id status` lines. */
    async function scanAgain(query = inventory): Promise<{ listed: string[]; keys: string[]; fromCache?: number }> {
      iamMock.resetHistory();
      const result = await sut.scan(query);
      return {
        listed: calls
          .listKeysUsers()
          .map((u) => u ?? '')
          .sort(),
        keys: result.keys.map((k) => `${k.userName} ${k.accessKeyId} ${k.status}`).sort(),
        fromCache: result.stats.keyIdsFromCache,
      };
    }

    beforeEach(async () => {
      accessKeys = {
        alice: [key('alice', 'AKIAALICE1', hoursAgo(100))],
        bob: [key('bob', 'AKIABOB1', hoursAgo(48))],
        carol: [key('carol', 'AKIACAROL1', hoursAgo(300)), key('carol', 'AKIACAROL2', hoursAgo(30))],
        dave: [key('dave', 'AKIADAVE1', hoursAgo(200), 'Inactive')],
      };
      rows = {
        alice: row('alice', ['true', hoursAgo(100)]),
        bob: row('bob', ['true', hoursAgo(48)]),
        carol: row('carol', ['true', hoursAgo(300)], ['true', hoursAgo(30)]),
        dave: row('dave', ['false', hoursAgo(200)]),
        erin: row('erin'),
      };
      publish();
      cold = await scanAgain();
    });

    it('costs one ListAccessKeys per candidate cold, and on the same report warm only the one checking access', async () => {
      expect(cold.listed).toEqual(['alice', 'bob', 'carol', 'dave']);
      expect(cold.fromCache).toBe(0);

      const warm = await scanAgain();

      expect(warm.listed).toEqual(['alice']);
      expect(warm.keys).toEqual(cold.keys);
      expect(warm.fromCache).toBe(3);
      expect(iamMock).toHaveReceivedCommandTimes(GetCredentialReportCommand, 1);
      expect(sut.keyIdCacheStats()).toEqual({ entries: 4, hits: 3, misses: 4 });
    });

    it('notices on a warm report that ListAccessKeys is now denied', async () => {
      iamMock.on(ListAccessKeysCommand).rejects(awsError('AccessDenied'));

      const err = await sut.scan(inventory).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(err).toMatchObject({ code: IamErrorCode.AccessDenied, action: 'ListAccessKeys' });
    });

    it('serves a narrower threshold from the same ids', async () => {
      const warm = await scanAgain(q(72));

      expect(warm.listed).toEqual(['alice']);
      expect(warm.keys).toEqual(['alice AKIAALICE1 Active', 'carol AKIACAROL1 Active']);
    });

    it('lists a user again whose key was rotated (a new date in the slot)', async () => {
      accessKeys.alice = [key('alice', 'AKIAALICE2', hoursAgo(2))];
      rows.alice = row('alice', ['true', hoursAgo(2)]);
      publish();

      const next = await scanAgain();

      expect(next.listed).toEqual(['alice']);
      expect(next.keys).toContain('alice AKIAALICE2 Active');
      expect(next.keys).not.toContain('alice AKIAALICE1 Active');
    });

    it('lists a user again whose other key was deleted (the slot becomes N/A)', async () => {
      accessKeys.carol = [accessKeys.carol[0]];
      rows.carol = row('carol', ['true', hoursAgo(300)]);
      publish();

      const next = await scanAgain();

      expect(next.listed).toEqual(['carol']);
      expect(next.keys.filter((k) => k.startsWith('carol '))).toEqual(['carol AKIACAROL1 Active']);
    });

    it('drops a user whose only key was deleted without asking IAM about them', async () => {
      delete accessKeys.bob;
      rows.bob = row('bob');
      publish();

      const next = await scanAgain();

      expect(next.listed).toEqual(['alice']); // only the access check
      expect(next.keys.filter((k) => k.startsWith('bob '))).toEqual([]);
    });

    it('lists a user again who got a new key (slot 2 appears)', async () => {
      accessKeys.bob = [...accessKeys.bob, key('bob', 'AKIABOB2', hoursAgo(5))];
      rows.bob = row('bob', ['true', hoursAgo(48)], ['true', hoursAgo(5)]);
      publish();

      const next = await scanAgain();

      expect(next.listed).toEqual(['bob']);
      expect(next.keys.filter((k) => k.startsWith('bob '))).toEqual(['bob AKIABOB1 Active', 'bob AKIABOB2 Active']);
    });

    it('lists a user again whose key was deactivated, so status filtering never uses a stale status', async () => {
      accessKeys.alice = [key('alice', 'AKIAALICE1', hoursAgo(100), 'Inactive')];
      rows.alice = row('alice', ['false', hoursAgo(100)]);
      publish();

      const all = await scanAgain();
      const activeOnly = await scanAgain(q(24));

      expect(all.listed).toEqual(['alice']);
      expect(all.keys).toContain('alice AKIAALICE1 Inactive');
      expect(activeOnly.listed).toEqual(['bob']); // only the access check
      expect(activeOnly.keys.filter((k) => k.startsWith('alice '))).toEqual([]);
    });

    it('forgets a user the report no longer shows', async () => {
      delete rows.dave;
      publish();
      await scanAgain();
      rows.dave = row('dave', ['false', hoursAgo(200)]);
      publish();

      const back = await scanAgain();

      expect(back.listed).toEqual(['dave']);
      expect(sut.keyIdCacheStats().entries).toBe(4);
    });

    it('does not remember keys that disagree with the report (changed since it was generated)', async () => {
      sut = build();
      accessKeys.alice = [key('alice', 'AKIAALICE2', hoursAgo(1))]; // the report still shows the old key

      const first = await scanAgain();
      const second = await scanAgain();

      expect(first.listed).toEqual(['alice', 'bob', 'carol', 'dave']);
      expect(first.keys.filter((k) => k.startsWith('alice '))).toEqual(['alice AKIAALICE2 Active']);
      expect(second.listed).toEqual(['alice']);
      expect(second.keys).toEqual(first.keys);
    });

    it('does not remember the keys of a user deleted since the report', async () => {
      sut = build();
      iamMock
        .on(ListAccessKeysCommand, { UserName: 'bob' })
        .rejects(new NoSuchEntityException({ message: 'gone', $metadata: {} }));

      await scanAgain();
      const second = await scanAgain();

      expect(second.listed).toEqual(['bob']);
    });
  });
});
