import { Logger } from '@nestjs/common';
import { ExemptionsService, type FindingsConfig } from '@app/findings';
import type { ConfigType } from '@nestjs/config';
import {
  IamErrorCode,
  IamException,
  type AccountAccessKey,
  type AccountOutcome,
  type OrganizationScanResult,
} from '@app/iam';
import type { LadderRepository } from '@app/store';
import { InMemoryLadderRepository } from '../../../../test/support/in-memory-ladder.repository';
import type { notifierConfig } from '../config/notifier.config';
import type { EmailDeliveryService } from '../delivery/email-delivery.service';
import type { EmailDriver } from '../drivers/email-driver.interface';
import { NotifierLadderService } from '../ladder/notifier-ladder.service';
import { DAY_MS } from '../notifier.constants';
import type { DeliveryResult, OutgoingEmail, OwnerResolution } from '../notifier.types';
import type { OwnerResolverService } from '../owners/owner-resolver.service';
import { RotationNotifierJob, type KeyScanner } from './rotation-notifier.job';

const now = new Date('2026-11-23T12:00:00Z');
const SELF = '111111111111';
const MEMBER = '200000000001';
const DENIED = '200000000002';
const key = (userName: string, accessKeyId: string, ageDays: number, accountId = SELF): AccountAccessKey => ({
  accountId,
  userName,
  accessKeyId,
  status: 'Active',
  createdDate: new Date(now.getTime() - ageDays * DAY_MS),
  ageHours: ageDays * 24,
});
const ok = (accountId: string, usersSeen = 4): AccountOutcome => ({
  accountId,
  status: 'ok',
  dataReadAt: now,
  keyCount: 0,
  stats: {
    usersSeen,
    usersSkippedYoung: 0,
    usersVanished: 0,
    callsByAction: {},
    throttles: 0,
    retries: 0,
    peakInFlight: 1,
    durationMs: 1,
  },
});
const denied: AccountOutcome = {
  accountId: DENIED,
  accountName: 'member-002',
  status: 'failed',
  code: 'ACCOUNT_ACCESS_DENIED',
  action: 'AssumeRole',
  message: 'AssumeRole into 200000000002 was denied',
};

function scanOf(keys: AccountAccessKey[], accounts: AccountOutcome[] = [ok(SELF)]): OrganizationScanResult {
  const failed = accounts.some((a) => a.status === 'failed');
  return {
    source: 'list-users',
    query: { hours: 0, includeInactive: false },
    keys,
    rootKeys: [],
    accounts,
    complete: !failed,
    dataReadAt: accounts.some((a) => a.status === 'ok') ? now : undefined,
  };
}

/** A deliverAll that gives each message `outcome` and hands each result to the caller's afterEach, as the real one. */
function deliverEach(outcome: (email: OutgoingEmail, i: number) => DeliveryResult) {
  return async (emails: readonly OutgoingEmail[], afterEach?: (result: DeliveryResult) => Promise<void>) => {
    const results = emails.map(outcome);
    for (const result of results) {
      await afterEach?.(result);
    }
    return results;
  };
}

/** The scan of the own account read at `at` (a clock the test moves). */
function scanAt(keys: AccountAccessKey[], at: Date): OrganizationScanResult {
  const account = ok(SELF) as Extract<AccountOutcome, { status: 'ok' }>;
  return { ...scanOf(keys, [{ ...account, dataReadAt: at }]), dataReadAt: at };
}

const config = {
  warnAgeDays: 15,
  finalAgeDays: 18,
  expireAgeDays: 20,
  remindEveryDays: 7,
  includeInactive: false,
  fallbackRecipients: ['sec@example.com'],
  partition: 'aws',
} as ConfigType<typeof notifierConfig>;

describe(RotationNotifierJob.name, () => {
  let scanner: jest.Mocked<KeyScanner>;
  let owners: jest.Mocked<Pick<OwnerResolverService, 'resolve'>>;
  let delivery: {
    driver: Pick<EmailDriver, 'kind'>;
    deliverAll: jest.MockedFunction<EmailDeliveryService['deliverAll']>;
  };
  let logged: unknown[];
  let errorLog: jest.SpyInstance;
  let store: InMemoryLadderRepository;
  let ladders: NotifierLadderService;
  let sut: RotationNotifierJob;

  beforeEach(() => {
    logged = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation((m: unknown) => void logged.push(m));
    errorLog = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    scanner = {
      scan: jest
        .fn()
        .mockResolvedValue(scanOf([key('old', 'AKIA1', 25), key('mid', 'AKIA2', 16), key('young', 'AKIA3', 3)])),
    };
    owners = {
      resolve: jest.fn().mockResolvedValue(
        new Map<string, OwnerResolution>([
          [`${SELF}/old`, { kind: 'owner', address: 'old@example.com' }],
          [`${SELF}/mid`, { kind: 'fallback', reason: 'invalid-address', value: 'mid' }],
        ]),
      ),
    };
    delivery = {
      driver: { kind: 'ses' },
      deliverAll: jest.fn(deliverEach((email, i) => ({ email, ok: true, messageId: `m-${i}` }))),
    };
    store = new InMemoryLadderRepository();
    ladders = new NotifierLadderService(store as unknown as LadderRepository, config);
    sut = new RotationNotifierJob(
      scanner,
      owners as unknown as OwnerResolverService,
      delivery as unknown as EmailDeliveryService,
      config,
      ladders,
    );
  });

  it('scans every key, notifies the old ones and logs one summary with exit code 0', async () => {
    const summary = await sut.run();

    // Inactive keys too, so a deactivated key is told from a deleted one; they are not reminded.
    expect(scanner.scan).toHaveBeenCalledWith('list-users', { hours: 0, includeInactive: true });
    expect([...owners.resolve.mock.calls[0][0]].map((k) => [k.accountId, k.userName])).toEqual([
      [SELF, 'old'],
      [SELF, 'mid'],
    ]);
    expect(delivery.deliverAll.mock.calls[0][0].map((e) => [e.kind, e.to])).toEqual([
      ['owner', 'old@example.com'],
      ['fallback', 'sec@example.com'],
      ['digest', 'sec@example.com'],
    ]);
    expect(summary).toMatchObject({
      event: 'notifier.summary',
      driver: 'ses',
      accountsOk: 1,
      accountsFailed: 0,
      accountsSkipped: 0,
      usersSeen: 4,
      keysSeen: 3,
      warned: 1,
      expired: 1,
      invalidOwners: 1,
      ownersWithoutTag: 0,
      ownerLookupsFailed: 0,
      emailsPlanned: 3,
      emailsSent: 3,
      emailsFailed: 0,
      emailsSkipped: 0,
      laddersOpened: 2,
      laddersClosed: 0,
      keysByStage: { expired: 1, warning: 1 },
      stagesSent: { expired: 1, warning: 1 },
      stagesPending: 0,
      digestSent: true,
      medianRotationDays30: null,
      medianRotationDays90: null,
      exitCode: 0,
    });
    expect(logged).toEqual([{ msg: 'The notifier run finished', ...summary }]);
  });

  it('sends nothing new on a second run the same day, and the next stage on the day it falls due', async () => {
    await sut.run();
    delivery.deliverAll.mockClear();

    const again = await sut.run();

    expect(delivery.deliverAll.mock.calls[0][0]).toEqual([]);
    expect(again).toMatchObject({ laddersOpened: 0, emailsPlanned: 0, stagesSent: {}, digestSent: false });
    expect(store.stages.map((s) => [s.accessKeyId, s.stage, s.recipient, s.sesMessageId])).toEqual([
      ['AKIA1', 'expired', 'old@example.com', 'm-0'],
      ['AKIA2', 'warning', 'sec@example.com', 'm-1'],
    ]);

    // Two days on: AKIA2 (then 18 days old) reaches its final warning at 18; the digest goes out again.
    const later = new Date(now.getTime() + 2 * DAY_MS);
    scanner.scan.mockResolvedValue(
      scanAt([key('old', 'AKIA1', 25), key('mid', 'AKIA2', 16), key('young', 'AKIA3', 3)], later),
    );
    delivery.deliverAll.mockClear();
    const third = await sut.run();
    expect(delivery.deliverAll.mock.calls[0][0].map((e) => [e.kind, e.to, e.accessKeyIds])).toEqual([
      ['fallback', 'sec@example.com', ['AKIA2']],
      ['digest', 'sec@example.com', ['AKIA1', 'AKIA2']],
    ]);
    expect(third.stagesSent).toEqual({ final: 1 });
  });

  it('closes the ladder of a key gone from the scan and tells its owner in their next email', async () => {
    scanner.scan.mockResolvedValue(scanOf([key('old', 'AKIA1', 25), key('old', 'AKIA7', 16)]));
    owners.resolve.mockResolvedValue(
      new Map<string, OwnerResolution>([[`${SELF}/old`, { kind: 'owner', address: 'old@example.com' }]]),
    );
    await sut.run();

    // The next day AKIA1 is gone and the user has a newer key: rotated. AKIA7 has nothing new due.
    const next = new Date(now.getTime() + DAY_MS);
    const rotated = { ...key('old', 'AKIA8', 0), createdDate: next };
    scanner.scan.mockResolvedValue(scanAt([key('old', 'AKIA7', 16), rotated], next));
    delivery.deliverAll.mockClear();
    const summary = await sut.run();
    expect(summary).toMatchObject({ laddersClosed: 1, emailsPlanned: 1 });
    expect(delivery.deliverAll.mock.calls[0][0].map((e) => e.kind)).toEqual(['digest']);
    expect(store.ladders[0]).toMatchObject({ resolution: 'rotated', rotatedTo: 'AKIA8' });

    // Two days on, AKIA7's final warning also says AKIA1 was rotated; said once.
    const final = new Date(now.getTime() + 3 * DAY_MS);
    scanner.scan.mockResolvedValue(scanAt([key('old', 'AKIA7', 16), rotated], final));
    delivery.deliverAll.mockClear();
    await sut.run();
    const [owner] = delivery.deliverAll.mock.calls[0][0];
    expect(owner.subject).toMatch(/^Final warning: 1 AWS access key expires on /);
    expect(owner.text).toContain('Resolved since our last email: 1 AWS access key');
    expect(owner.text).toContain('Key: AKIA1\n  Resolved: Rotated (new key AKIA8)');
    expect((await store.unreportedResolutions()).length).toBe(0);
  });

  it('never closes the ladder of a key in an account that could not be scanned: its keys are unknown, not resolved', async () => {
    scanner.scan.mockResolvedValue(
      scanOf([key('old', 'AKIA1', 25), key('old', 'AKIA9', 21, MEMBER)], [ok(SELF), ok(MEMBER)]),
    );
    await sut.run();
    const memberDenied: AccountOutcome = { ...denied, accountId: MEMBER };
    scanner.scan.mockResolvedValue(scanOf([key('old', 'AKIA1', 25)], [ok(SELF), memberDenied]));

    const summary = await sut.run();

    expect(summary).toMatchObject({ laddersClosed: 0, accountsFailed: 1 });
    expect(store.ladders.map((l) => [l.accessKeyId, l.closedAt])).toEqual([
      ['AKIA1', null],
      ['AKIA9', null],
    ]);
  });

  it('a failure to record after SES accepted stops the sending and fails the run; the next run sends that stage once more', async () => {
    const recordStages = jest.spyOn(store, 'recordStages').mockRejectedValueOnce(new Error('store unavailable'));

    const failed = await sut.run();

    expect(failed).toMatchObject({ exitCode: 2, error: 'store unavailable' });
    expect(store.stages).toEqual([]);
    recordStages.mockRestore();
    delivery.deliverAll.mockClear();
    const next = await sut.run();
    expect(delivery.deliverAll.mock.calls[0][0].map((e) => [e.kind, e.to])).toEqual([
      ['owner', 'old@example.com'],
      ['fallback', 'sec@example.com'],
      ['digest', 'sec@example.com'],
    ]);
    expect(next.stagesSent).toEqual({ expired: 1, warning: 1 });
  });

  it('records nothing in dry-run mode, so a later real run still sends every stage', async () => {
    delivery.driver = { kind: 'dry-run' };
    delivery.deliverAll.mockImplementation(deliverEach((email) => ({ email, ok: true })));
    await sut.run();
    expect(store.stages).toEqual([]);
    expect(store.digests).toEqual([]);
  });

  it('exits 1 when one email failed, after still sending the others', async () => {
    delivery.deliverAll.mockImplementation((emails) =>
      Promise.resolve(emails.map((email, i) => ({ email, ok: i !== 0, error: i === 0 ? 'rejected' : undefined }))),
    );

    const summary = await sut.run();

    expect(summary).toMatchObject({ emailsSent: 2, emailsFailed: 1, exitCode: 1 });
  });

  it("exits 1 when an owner tag could not be read, after sending that user's keys to the fallback recipients", async () => {
    owners.resolve.mockResolvedValue(
      new Map<string, OwnerResolution>([
        [`${SELF}/old`, { kind: 'fallback', reason: 'lookup-failed', error: 'IAM denied ListUserTags' }],
        [`${SELF}/mid`, { kind: 'owner', address: 'mid@example.com' }],
      ]),
    );

    const summary = await sut.run();

    expect(delivery.deliverAll.mock.calls[0][0].map((e) => [e.kind, e.to])).toEqual([
      ['owner', 'mid@example.com'],
      ['fallback', 'sec@example.com'],
      ['digest', 'sec@example.com'],
    ]);
    expect(summary).toMatchObject({ ownerLookupsFailed: 1, emailsSent: 3, emailsFailed: 0, exitCode: 1 });
  });

  it('counts dry-run messages as skipped, not sent', async () => {
    delivery.driver = { kind: 'dry-run' };

    expect(await sut.run()).toMatchObject({ driver: 'dry-run', emailsSent: 0, emailsSkipped: 3, exitCode: 0 });
  });

  it("mails every account's keys, lists the failed and skipped accounts in the digest and exits 1", async () => {
    scanner.scan.mockResolvedValue(
      scanOf(
        [key('old', 'AKIA1', 25), key('old', 'AKIA9', 21, MEMBER)],
        [ok(SELF, 4), ok(MEMBER, 6), denied, { accountId: '200000000003', status: 'skipped', reason: 'SUSPENDED' }],
      ),
    );
    owners.resolve.mockResolvedValue(
      new Map<string, OwnerResolution>([
        [`${SELF}/old`, { kind: 'owner', address: 'old@example.com' }],
        [`${MEMBER}/old`, { kind: 'owner', address: 'old@example.com' }],
      ]),
    );

    const summary = await sut.run();

    const emails = delivery.deliverAll.mock.calls[0][0];
    expect(emails.map((e) => [e.kind, e.to, e.accessKeyIds])).toEqual([
      ['owner', 'old@example.com', ['AKIA1', 'AKIA9']],
      ['digest', 'sec@example.com', ['AKIA1', 'AKIA9']],
    ]);
    expect(emails[1].subject).toBe(
      'Access key digest: 1 account NOT SCANNED, 2 expired, 0 warned (2 of 2 keys in 2 accounts)',
    );
    expect(emails[1].text).toContain(
      `- Account: ${DENIED} (member-002)\n  Error: ACCOUNT_ACCESS_DENIED (AssumeRole)\n  Message: AssumeRole into ${DENIED} was denied`,
    );
    expect(emails[1].text).toContain('- Account: 200000000003\n  Reason: SUSPENDED');
    expect(summary).toMatchObject({
      accountsOk: 2,
      accountsFailed: 1,
      accountsSkipped: 1,
      failedAccounts: [DENIED],
      usersSeen: 10,
      keysSeen: 2,
      emailsSent: 2,
      emailsFailed: 0,
      exitCode: 1,
    });
    expect(errorLog.mock.calls).toEqual([
      [
        {
          msg: 'An account could not be scanned: its keys were not checked',
          event: 'notifier.account-failed',
          accountId: DENIED,
          accountName: 'member-002',
          code: 'ACCOUNT_ACCESS_DENIED',
          action: 'AssumeRole',
          error: `AssumeRole into ${DENIED} was denied`,
        },
      ],
    ]);
  });

  it('exits 2 and sends nothing when no account could be scanned at all', async () => {
    scanner.scan.mockResolvedValue(
      scanOf([], [{ accountId: SELF, status: 'failed', code: 'IAM_ACCESS_DENIED', message: 'IAM denied ListUsers' }]),
    );

    const summary = await sut.run();

    expect(summary).toMatchObject({
      exitCode: 2,
      accountsOk: 0,
      accountsFailed: 1,
      error: `No account could be scanned: ${SELF}: IAM denied ListUsers`,
      emailsPlanned: 0,
    });
    expect(delivery.deliverAll).not.toHaveBeenCalled();
  });

  it('exits 2 and sends nothing when the scan fails', async () => {
    scanner.scan.mockRejectedValue(new IamException(IamErrorCode.AccessDenied, 'IAM denied ListUsers'));

    const summary = await sut.run();

    expect(summary).toMatchObject({ exitCode: 2, error: 'IAM denied ListUsers', emailsPlanned: 0 });
    expect(delivery.deliverAll).not.toHaveBeenCalled();
    // The message only: no stack trace reaches the logs.
    expect(errorLog.mock.calls).toEqual([
      [{ msg: 'The notifier run failed', event: 'notifier.failed', error: 'IAM denied ListUsers' }],
    ]);
  });

  it('sends nothing and exits 0 when no key is old enough', async () => {
    scanner.scan.mockResolvedValue(scanOf([key('young', 'AKIA3', 3)], [ok(SELF), ok(MEMBER)]));
    owners.resolve.mockResolvedValue(new Map());

    expect(await sut.run()).toMatchObject({ keysSeen: 1, warned: 0, expired: 0, emailsPlanned: 0, exitCode: 0 });
  });
  it('sends no owner reminder for a key an exemption covers, takes tag exemptions from the tags read, and counts both', async () => {
    const findings: FindingsConfig = {
      thresholds: { rotationMaxAgeHours: 2160, unusedMaxDays: 45, neverUsedGraceHours: 1080 },
      exemptionMaxDays: 180,
    };
    const file = new ExemptionsService(
      [
        {
          source: 'file',
          match: { userName: 'old' },
          findings: ['old'],
          reason: 'Vendor appliance',
          expiresAt: new Date(now.getTime() + 10 * DAY_MS),
          line: 2,
        },
      ],
      findings,
    );
    owners.resolve.mockImplementation((_keys, tagsRead) => {
      tagsRead?.set(`${SELF}/mid`, {
        'iam-key-monitor:exempt-until': '2026-12-01',
        'iam-key-monitor:exempt-reason': 'Migrating to roles',
      });
      return Promise.resolve(
        new Map<string, OwnerResolution>([
          [`${SELF}/old`, { kind: 'owner', address: 'old@example.com' }],
          [`${SELF}/mid`, { kind: 'owner', address: 'mid@example.com' }],
        ]),
      );
    });
    sut = new RotationNotifierJob(
      scanner,
      owners as unknown as OwnerResolverService,
      delivery as unknown as EmailDeliveryService,
      config,
      ladders,
      file,
    );

    const summary = await sut.run();

    const emails = delivery.deliverAll.mock.calls[0][0];
    expect(emails.map((e) => [e.kind, e.to, e.accessKeyIds])).toEqual([['digest', 'sec@example.com', []]]);
    expect(emails[0].text).toContain('Exempted: 2 AWS access keys (no owner reminder)');
    expect(emails[0].text).toContain('Exemptions expiring within 14 days: 2');
    expect(summary).toMatchObject({ warned: 1, expired: 1, exempted: 2, exemptionsLapsed: 0, exitCode: 0 });
  });
});
