import { Logger } from '@nestjs/common';
import type { IamAccountClient } from '../client/iam-account.client';
import type { IamClientProvider } from '../client/iam-client.provider';
import type { IamConfig } from '../config/iam.config';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import type { OldAccessKey, ScanQuery, ScanResult } from '../iam.types';
import type { CredentialReportStrategy } from '../strategies/credential-report.strategy';
import type { ListUsersStrategy } from '../strategies/list-users.strategy';
import { OldKeysService, type ScanObserver } from './old-keys.service';
import { scanDeadlineStorage } from './scan-deadline';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const HOUR = 3_600_000;
/** The strategies are mocked: the client only keys the shared scans and labels the log line. */
const OWN = { accountLabel: '111111111111' } as Partial<IamClientProvider>;

function key(userName: string, ageH: number, status: 'Active' | 'Inactive' = 'Active'): OldAccessKey {
  return {
    userName,
    accessKeyId: `AKIA${userName.toUpperCase().padEnd(16, 'X')}`,
    createdDate: new Date(NOW.getTime() - ageH * HOUR),
    status,
    ageHours: ageH,
  };
}

function inventory(): ScanResult {
  return {
    source: 'list-users',
    keys: [key('old', 1000), key('mid', 100), key('idle', 500, 'Inactive'), key('new', 1)],
    rootKeys: [{ slot: 1, active: true, lastRotated: new Date(NOW.getTime() - 2000 * HOUR), ageHours: 2000 }],
    dataReadAt: NOW,
    stats: {
      usersSeen: 4,
      usersSkippedYoung: 0,
      usersVanished: 0,
      callsByAction: { ListUsers: 1, ListAccessKeys: 4 },
      throttles: 0,
      retries: 0,
      peakInFlight: 4,
      durationMs: 5,
    },
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe(OldKeysService.name, () => {
  let sut: OldKeysService;
  let listUsers: jest.Mocked<Pick<ListUsersStrategy, 'scan' | 'source'>>;
  let report: jest.Mocked<Pick<CredentialReportStrategy, 'scan' | 'source'>>;
  let observer: jest.Mocked<ScanObserver>;
  let now: Date;
  let log: jest.SpyInstance;

  function build(ttlSeconds: number, scanMaxDurationMs = 60_000) {
    const config = { scanCacheTtlMs: ttlSeconds * 1000, scanMaxDurationMs } as IamConfig;
    sut = new OldKeysService(
      listUsers as unknown as ListUsersStrategy,
      report as unknown as CredentialReportStrategy,
      OWN as IamClientProvider,
      config,
      { now: () => now },
      observer,
    );
  }

  beforeEach(() => {
    now = NOW;
    listUsers = { source: 'list-users', scan: jest.fn() };
    report = { source: 'credential-report', scan: jest.fn() };
    observer = { scanStarted: jest.fn(), scanFinished: jest.fn() };
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    build(60);
  });

  it('logs one structured line per scan that really ran', async () => {
    listUsers.scan.mockResolvedValue(inventory());
    await sut.scan('list-users', { hours: 1, includeInactive: false });
    await sut.scan('list-users', { hours: 2, includeInactive: false });

    expect(log.mock.calls).toEqual([
      [
        {
          scan: {
            strategy: 'list-users',
            accountId: '111111111111',
            hours: 0,
            includeInactive: true,
            usersSeen: 4,
            usersSkippedYoung: 0,
            usersVanished: 0,
            keyIdsFromCache: undefined,
            iamCalls: { ListUsers: 1, ListAccessKeys: 4 },
            retries: 0,
            throttles: 0,
            peakInFlight: 4,
            keysFound: 4,
            rootKeysFound: 1,
            durationMs: 5,
          },
        },
        'scan finished',
      ],
    ]);
  });

  it('routes each source to its strategy', async () => {
    listUsers.scan.mockResolvedValue(inventory());
    report.scan.mockResolvedValue({ ...inventory(), source: 'credential-report' });
    await sut.scan('list-users', { hours: 1, includeInactive: false });
    await sut.scan('credential-report', { hours: 1, includeInactive: false });
    expect(listUsers.scan).toHaveBeenCalledTimes(1);
    expect(report.scan).toHaveBeenCalledTimes(1);
  });

  it('shares one running inventory scan among concurrent requests with different thresholds', async () => {
    const pending = deferred<ScanResult>();
    listUsers.scan.mockReturnValue(pending.promise);
    const queries: ScanQuery[] = [
      { hours: 0, includeInactive: false },
      { hours: 200, includeInactive: false },
      { hours: 200, includeInactive: true },
      { hours: 1500, includeInactive: false },
    ];
    const answers = Promise.all(queries.map((q) => sut.scan('list-users', q)));
    pending.resolve(inventory());
    const [all, over200, over200All, over1500] = await answers;

    expect(listUsers.scan).toHaveBeenCalledTimes(1);
    expect(listUsers.scan).toHaveBeenCalledWith({ hours: 0, includeInactive: true }, OWN);
    expect(all.keys.map((k) => k.userName)).toEqual(['old', 'mid', 'new']);
    expect(over200.keys.map((k) => k.userName)).toEqual(['old']);
    expect(over200All.keys.map((k) => k.userName)).toEqual(['old', 'idle']);
    expect(over1500.keys).toEqual([]);
    expect(over1500.rootKeys).toHaveLength(1);
    expect(observer.scanStarted).toHaveBeenCalledTimes(1);
  });

  it('serves later requests from the finished scan until the TTL passes, with ages counted to now', async () => {
    listUsers.scan.mockResolvedValue(inventory());
    await sut.scan('list-users', { hours: 1, includeInactive: false });
    now = new Date(NOW.getTime() + 59_000);
    const cached = await sut.scan('list-users', { hours: 1, includeInactive: false });
    expect(listUsers.scan).toHaveBeenCalledTimes(1);
    expect(cached.dataReadAt).toEqual(NOW);
    expect(cached.keys.find((k) => k.userName === 'old')?.ageHours).toBe(1000);

    now = new Date(NOW.getTime() + 60_000);
    await sut.scan('list-users', { hours: 1, includeInactive: false });
    expect(listUsers.scan).toHaveBeenCalledTimes(2);
  });

  it('never serves a failed scan to later requests', async () => {
    listUsers.scan.mockRejectedValueOnce(new Error('boom')).mockResolvedValueOnce(inventory());
    await expect(sut.scan('list-users', { hours: 1, includeInactive: false })).rejects.toThrow('boom');
    const second = await sut.scan('list-users', { hours: 1, includeInactive: false });
    expect(second.keys).toHaveLength(3);
    expect(listUsers.scan).toHaveBeenCalledTimes(2);
    expect(observer.scanFinished).toHaveBeenNthCalledWith(
      1,
      'list-users',
      'error',
      expect.any(Number),
      undefined,
      '111111111111',
    );
  });

  it('shares and caches per account: a scan of one account never serves, nor waits for, another', async () => {
    const member = { accountLabel: '222222222222' } as IamAccountClient;
    const gate = deferred<ScanResult>();
    listUsers.scan.mockImplementation((_q, iam) => (iam === member ? gate.promise : Promise.resolve(inventory())));

    const ownAnswer = await sut.scan('list-users', { hours: 0, includeInactive: true });
    const memberAnswer = sut.scan('list-users', { hours: 0, includeInactive: true }, member);
    const memberAgain = sut.scan('list-users', { hours: 200, includeInactive: false }, member);
    await sut.scan('list-users', { hours: 0, includeInactive: true }); // the own account's cached inventory
    gate.resolve({ ...inventory(), keys: [key('member-only', 900)] });

    expect(ownAnswer.keys).toHaveLength(4);
    expect((await memberAnswer).keys.map((k) => k.userName)).toEqual(['member-only']);
    expect((await memberAgain).keys.map((k) => k.userName)).toEqual(['member-only']);
    expect(listUsers.scan.mock.calls.map(([, iam]) => iam)).toEqual([OWN, member]);
    expect(observer.scanStarted.mock.calls).toEqual([
      ['list-users', '111111111111'],
      ['list-users', '222222222222'],
    ]);
  });

  it('keeps the sources apart', async () => {
    listUsers.scan.mockResolvedValue(inventory());
    report.scan.mockResolvedValue({ ...inventory(), source: 'credential-report' });
    await sut.scan('list-users', { hours: 1, includeInactive: false });
    const fromReport = await sut.scan('credential-report', { hours: 1, includeInactive: false });
    expect(fromReport.source).toBe('credential-report');
  });

  describe('withFreshness: until when an answer cut from the shared scans stays exactly the same', () => {
    const at = (ms: number) => new Date(NOW.getTime() + ms);

    it('is bounded by the next tenth-of-an-hour change of a kept key, a young key growing old, and the TTL', async () => {
      build(3600);
      listUsers.scan.mockResolvedValue(inventory());
      // Ages are whole hours at NOW: each kept key's age turns from x.0 to x.1 at NOW + 3 min.
      const first = await sut.withFreshness(() => sut.scan('list-users', { hours: 50, includeInactive: false }));
      expect(first.validUntilMs).toBe(at(180_000).getTime());
      now = at(179_999);
      const second = await sut.withFreshness(() => sut.scan('list-users', { hours: 50, includeInactive: false }));
      expect(second.value.keys.map((k) => k.ageHours)).toEqual([1000, 100]);
      expect(second.validUntilMs).toBe(at(180_000).getTime());
      now = at(180_000);
      const third = await sut.withFreshness(() => sut.scan('list-users', { hours: 50, includeInactive: false }));
      expect(third.value.keys.map((k) => k.ageHours)).toEqual([1000.1, 100.1]);
    });

    it('is bounded by a key about to cross the threshold into the answer', async () => {
      const young = { ...key('young', 1), createdDate: new Date(NOW.getTime() - HOUR + 30_000) };
      listUsers.scan.mockResolvedValue({ ...inventory(), keys: [young], rootKeys: [] });
      const { validUntilMs } = await sut.withFreshness(() =>
        sut.scan('list-users', { hours: 1, includeInactive: false }),
      );
      expect(validUntilMs).toBe(at(30_000).getTime());
    });

    it('ignores keys the query never keeps (Inactive without includeInactive)', async () => {
      const inactive = { ...key('idle', 1, 'Inactive'), createdDate: new Date(NOW.getTime() - HOUR + 1) };
      listUsers.scan.mockResolvedValue({ ...inventory(), keys: [inactive], rootKeys: [] });
      const { validUntilMs } = await sut.withFreshness(() =>
        sut.scan('list-users', { hours: 1, includeInactive: false }),
      );
      expect(validUntilMs).toBe(NOW.getTime() + 60_000); // the TTL
    });

    it('ends with the shared scan: its settling time plus the TTL', async () => {
      listUsers.scan.mockResolvedValue({ ...inventory(), keys: [], rootKeys: [] });
      await sut.scan('list-users', { hours: 1, includeInactive: false });
      now = at(20_000);
      const { validUntilMs } = await sut.withFreshness(() =>
        sut.scan('list-users', { hours: 1, includeInactive: false }),
      );
      expect(validUntilMs).toBe(at(60_000).getTime());
    });

    it('is now (not reusable) without a TTL, and after a failure', async () => {
      build(0);
      listUsers.scan.mockResolvedValue(inventory());
      expect(
        (await sut.withFreshness(() => sut.scan('list-users', { hours: 1, includeInactive: false }))).validUntilMs,
      ).toBe(NOW.getTime());
      build(60);
      listUsers.scan.mockRejectedValue(new IamException(IamErrorCode.AccessDenied, 'denied'));
      let bounded = Infinity;
      await sut
        .withFreshness(async () => {
          try {
            await sut.scan('list-users', { hours: 1, includeInactive: false });
          } catch {
            // an organization scan lists the account as failed and answers
          }
        })
        .then((r) => (bounded = r.validUntilMs));
      expect(bounded).toBe(NOW.getTime());
    });
  });

  describe('with the cache TTL at 0', () => {
    beforeEach(() => build(0));

    it('scans exactly the requested threshold and shares only identical in-flight requests', async () => {
      const pending = deferred<ScanResult>();
      listUsers.scan.mockReturnValueOnce(pending.promise).mockResolvedValue(inventory());
      const q = { hours: 24, includeInactive: false };
      const a = sut.scan('list-users', q);
      const b = sut.scan('list-users', q);
      const c = sut.scan('list-users', { hours: 48, includeInactive: false });
      pending.resolve(inventory());
      await Promise.all([a, b, c]);
      expect(listUsers.scan).toHaveBeenCalledTimes(2);
      expect(listUsers.scan).toHaveBeenNthCalledWith(1, q, OWN);
      expect(listUsers.scan).toHaveBeenNthCalledWith(2, { hours: 48, includeInactive: false }, OWN);

      await sut.scan('list-users', q);
      expect(listUsers.scan).toHaveBeenCalledTimes(3);
    });
  });

  describe('with a scan deadline (SCAN_MAX_DURATION_MS)', () => {
    const q = { hours: 1, includeInactive: false };
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (err: unknown) => err,
      );

    it('answers every waiter of a stuck scan 504 naming the running action, aborts it, then scans afresh', async () => {
      build(60, 150);
      let signal: AbortSignal | undefined;
      const stuck = deferred<ScanResult>();
      listUsers.scan.mockImplementationOnce(() => {
        const deadline = scanDeadlineStorage.getStore();
        signal = deadline?.signal;
        deadline?.enter('ListUsers')(); // done
        deadline?.enter('ListAccessKeys'); // never answers
        return stuck.promise;
      });
      listUsers.scan.mockResolvedValueOnce(inventory());

      const started = performance.now();
      const first = failure(sut.scan('list-users', q));
      const follower = failure(sut.scan('list-users', { hours: 500, includeInactive: true }));
      const [a, b] = await Promise.all([first, follower]);
      const elapsed = performance.now() - started;

      for (const err of [a, b]) {
        expect(err).toBeInstanceOf(IamException);
        expect(err).toMatchObject({
          code: IamErrorCode.Timeout,
          action: 'ListAccessKeys',
          message: 'The scan did not finish within SCAN_MAX_DURATION_MS (150 ms); ListAccessKeys was running',
        });
      }
      expect(elapsed).toBeGreaterThanOrEqual(140);
      expect(elapsed).toBeLessThan(2000);
      expect(signal?.aborted).toBe(true);
      expect(observer.scanFinished).toHaveBeenCalledWith(
        'list-users',
        'error',
        expect.any(Number),
        undefined,
        '111111111111',
      );
      // The strategy has not returned: liveness can see it.
      expect(sut.runningScans()).toEqual([
        { source: 'list-users', accountId: '111111111111', startedAt: expect.any(Number) as number },
      ]);

      const next = await sut.scan('list-users', q);
      expect(next.keys.map((k) => k.userName)).toEqual(['old', 'mid', 'new']);
      expect(listUsers.scan).toHaveBeenCalledTimes(2);

      stuck.reject(new Error('aborted'));
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      expect(sut.runningScans()).toEqual([]);
    });

    it('names the last action when none is running (e.g. between report polls)', async () => {
      build(60, 100);
      report.scan.mockImplementationOnce(() => {
        scanDeadlineStorage.getStore()?.enter('GenerateCredentialReport')();
        return new Promise<ScanResult>(() => undefined);
      });
      const err = await failure(sut.scan('credential-report', q));
      expect(err).toMatchObject({ code: IamErrorCode.Timeout, action: 'GenerateCredentialReport' });
    });

    it('leaves a scan that finishes in time alone', async () => {
      build(60, 100);
      let signal: AbortSignal | undefined;
      listUsers.scan.mockImplementationOnce(() => {
        signal = scanDeadlineStorage.getStore()?.signal;
        return Promise.resolve(inventory());
      });
      await sut.scan('list-users', q);
      await new Promise((r) => setTimeout(r, 150));
      expect(signal?.aborted).toBe(false);
      expect(sut.runningScans()).toEqual([]);
      expect(await sut.scan('list-users', q)).toMatchObject({ source: 'list-users' });
      expect(listUsers.scan).toHaveBeenCalledTimes(1);
    });
  });
});
