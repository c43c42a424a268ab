import { Global, Logger, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { AccountsErrorCode, AccountsException } from '@app/accounts';
import {
  DEFAULT_ACCOUNT_ID,
  DEFAULT_MEMBER_ROLE_NAME,
  EMULATOR_AWS_ENV,
  expectedOldKeysByAccount,
  expectedRootKeysByAccount,
  IamEmulator,
  seedOrganization,
  seededMemberAccountId,
  setEnv,
  type EmulatedOrganization,
} from '@app/iam-emulator';
import { IAM_CALL_OBSERVER, type IamCallObserver } from '../client/iam-call-observer';
import { IamClientRegistry } from '../client/iam-client.registry';
import { IamErrorCode } from '../errors/iam.exception';
import { IAM_CLOCK } from '../iam.constants';
import { IamModule } from '../iam.module';
import type { ScanQuery } from '../iam.types';
import { REPORT_POLL_SLEEP } from '../report/report.constants';
import { SCAN_OBSERVER, type ScanObserver } from '../scan/old-keys.service';
import { OrganizationScanService } from './organization-scan.service';
import type { AccountOutcome } from './organization-scan.types';

const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const EVERY_KEY: ScanQuery = { hours: 0, includeInactive: true };
const OLD: ScanQuery = { hours: 24 * 90, includeInactive: false };
const MEMBER_1 = seededMemberAccountId(1);
const MEMBER_2 = seededMemberAccountId(2);
const MEMBER_3 = seededMemberAccountId(3);
const SUSPENDED = seededMemberAccountId(5);

/** What the service must answer, from the emulator's own data: every key tagged with its account. */
function expected(org: EmulatedOrganization, query: ScanQuery, accountIds?: string[]) {
  const names = new Map(org.accounts.map((a) => [a.id, a.name]));
  const tag = <T>(byAccount: Map<string, T[]>) =>
    [...byAccount].flatMap(([accountId, keys]) =>
      keys.map((k) => ({ ...k, accountId, accountName: names.get(accountId) })),
    );
  return {
    keys: tag(expectedOldKeysByAccount(org, { ...query, now, accountIds })),
    rootKeys: tag(expectedRootKeysByAccount(org, { ...query, now, accountIds })),
  };
}

const statuses = (accounts: AccountOutcome[]) => accounts.map((a) => [a.accountId, a.status]);

/** Over real HTTP: STS, Organizations and each account's IAM served by one emulator, the SDK unmodified. */
describe(OrganizationScanService.name, () => {
  // The management account, 4 ACTIVE members spread over nested OUs, and one suspended member.
  const org = seedOrganization({ seed: 13, accounts: 6, usersPerAccount: 12, nestedOus: true, suspended: 1, now });
  let emulator: IamEmulator;
  let restoreEnv: () => void;
  let moduleRef: TestingModule;
  let sut: OrganizationScanService;
  let registry: IamClientRegistry;

  async function build(env: Record<string, string> = {}) {
    restoreEnv = setEnv({
      ...EMULATOR_AWS_ENV,
      AWS_ENDPOINT_URL: emulator.url,
      ACCOUNTS_SOURCE: 'organizations',
      ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
      ACCOUNT_CONCURRENCY: '2',
      IAM_MAX_ATTEMPTS: '1',
      SCAN_CACHE_TTL_SECONDS: '0',
      REPORT_POLL_INTERVAL_MS: '20',
      ...env,
    });
    moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot({ ignoreEnvFile: true }), IamModule] })
      .overrideProvider(IAM_CLOCK)
      .useValue({ now: () => now })
      .compile();
    await moduleRef.init();
    sut = moduleRef.get(OrganizationScanService);
    registry = moduleRef.get(IamClientRegistry);
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    emulator = new IamEmulator({ organization: org, latencyMs: [2, 6] });
    await emulator.start();
  });

  afterEach(async () => {
    await moduleRef?.close();
    restoreEnv?.();
    emulator.assumeRoleDenied.clear();
    for (const id of emulator.accountIds) {
      emulator.accountFaults(id).accessDenied.clear();
    }
    emulator.resetCounters();
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it('answers every key of every ACTIVE account, each tagged with its account, the suspended one skipped', async () => {
    await build();

    const result = await sut.scan('list-users', EVERY_KEY);

    const want = expected(org, EVERY_KEY);
    expect(result.keys).toEqual([...want.keys].sort((a, b) => a.createdDate.getTime() - b.createdDate.getTime()));
    expect(result.keys.length).toBeGreaterThan(20);
    expect(result.complete).toBe(true);
    expect(statuses(result.accounts)).toEqual([
      [DEFAULT_ACCOUNT_ID, 'ok'],
      [MEMBER_1, 'ok'],
      [MEMBER_2, 'ok'],
      [MEMBER_3, 'ok'],
      [seededMemberAccountId(4), 'ok'],
      [SUSPENDED, 'skipped'],
    ]);
    expect(result.accounts.at(-1)).toEqual({
      accountId: SUSPENDED,
      accountName: 'member-005',
      status: 'skipped',
      reason: 'SUSPENDED',
    });
    for (const outcome of result.accounts.filter((a) => a.status === 'ok')) {
      expect(outcome).toMatchObject({ keyCount: want.keys.filter((k) => k.accountId === outcome.accountId).length });
    }
    expect(result.dataReadAt).toEqual(now);
    // The own (management) account was read with the base credentials: no AssumeRole into it.
    expect(emulator.countersFor(DEFAULT_ACCOUNT_ID).requests.AssumeRole ?? 0).toBe(0);
    expect(emulator.countersFor(MEMBER_1).requests.AssumeRole).toBe(1);
  });

  it('reads the credential report of each account, root keys included, tagged with their account', async () => {
    await build();

    const result = await sut.scan('credential-report', OLD);

    const want = expected(org, OLD);
    expect(new Set(result.keys.map((k) => k.accessKeyId))).toEqual(new Set(want.keys.map((k) => k.accessKeyId)));
    expect(result.keys).toEqual(expect.arrayContaining(want.keys));
    expect(result.rootKeys).toEqual(expect.arrayContaining(want.rootKeys));
    expect(result.rootKeys).toHaveLength(want.rootKeys.length);
    for (const outcome of result.accounts.filter((a) => a.status === 'ok')) {
      expect(outcome).toMatchObject({ reportGeneratedAt: expect.any(Date) as Date });
    }
  });

  it('one account whose AssumeRole is denied fails alone, named with code and action; the others stay exact', async () => {
    await build();
    emulator.assumeRoleDenied.add(MEMBER_2);

    const result = await sut.scan('list-users', EVERY_KEY);

    expect(result.complete).toBe(false);
    expect(result.accounts.find((a) => a.accountId === MEMBER_2)).toEqual({
      accountId: MEMBER_2,
      accountName: 'member-002',
      status: 'failed',
      code: IamErrorCode.AccountAccessDenied,
      action: 'AssumeRole',
      message: `AssumeRole of ${DEFAULT_MEMBER_ROLE_NAME} in account ${MEMBER_2} was denied`,
      awsErrorName: 'AccessDenied',
    });
    const others = expected(org, EVERY_KEY).keys.filter((k) => k.accountId !== MEMBER_2);
    expect(result.keys).toHaveLength(others.length);
    expect(result.keys).toEqual(expect.arrayContaining(others));
    expect(emulator.countersFor(MEMBER_2).totalIamRequests).toBe(0);
  });

  it('an account whose IAM denies the role fails with the IAM code and action, the others answer', async () => {
    await build();
    emulator.accountFaults(MEMBER_3).accessDenied.add('ListAccessKeys');

    const result = await sut.scan('list-users', EVERY_KEY);

    expect(result.accounts.find((a) => a.accountId === MEMBER_3)).toMatchObject({
      status: 'failed',
      code: IamErrorCode.AccessDenied,
      action: 'ListAccessKeys',
    });
    expect(statuses(result.accounts).filter(([, s]) => s === 'failed')).toEqual([[MEMBER_3, 'failed']]);
  });

  it('narrows to the asked accounts (a skipped one stays listed), and refuses an id outside them, naming it', async () => {
    await build();

    const result = await sut.scan('list-users', EVERY_KEY, { accountIds: [MEMBER_1, SUSPENDED] });

    expect(statuses(result.accounts)).toEqual([
      [MEMBER_1, 'ok'],
      [SUSPENDED, 'skipped'],
    ]);
    expect(result.keys).toEqual(expect.arrayContaining(expected(org, EVERY_KEY, [MEMBER_1]).keys));
    expect(new Set(result.keys.map((k) => k.accountId))).toEqual(new Set([MEMBER_1]));
    // The other accounts were not touched.
    expect(emulator.countersFor(MEMBER_2).totalIamRequests).toBe(0);
    expect(emulator.countersFor(DEFAULT_ACCOUNT_ID).totalIamRequests).toBe(0);

    await expect(sut.scan('list-users', EVERY_KEY, { accountIds: [MEMBER_1, '999999999999'] })).rejects.toMatchObject({
      code: IamErrorCode.AccountNotConfigured,
      message: 'account 999999999999 is not among the configured accounts',
    });
  });

  it('fails the whole scan when Organizations refuses the account list, never answering an empty one', async () => {
    await build();
    emulator.faults.accessDenied.add('ListAccounts');

    const err = await sut.scan('list-users', EVERY_KEY).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AccountsException);
    expect(err).toMatchObject({ code: AccountsErrorCode.OrganizationsAccessDenied, action: 'ListAccounts' });
    expect(emulator.counters.totalIamRequests).toBe(0);
  });

  it('scans at most ACCOUNT_CONCURRENCY accounts at once, each on a client and pace of its own', async () => {
    await build();

    await sut.scan('list-users', EVERY_KEY);

    expect(sut.accountsInFlight.peak).toBe(2);
    const clients = [DEFAULT_ACCOUNT_ID, MEMBER_1, MEMBER_2].map((id) => registry.get(id));
    expect(clients.every((c) => c !== undefined)).toBe(true);
    expect(new Set(clients.map((c) => c?.rateGovernor)).size).toBe(3);
    expect(registry.get(DEFAULT_ACCOUNT_ID)).toBe(registry.self());
    expect(registry.get(SUSPENDED)).toBeUndefined();
  });

  it('a throttled account is paced alone: the others see no throttle and their pace is untouched', async () => {
    const throttledOrg = seedOrganization({ seed: 14, accounts: 3, usersPerAccount: 40, now });
    // One token: six requests sent at once are throttled however slow the machine is.
    throttledOrg.accounts[1].rateLimit = { ratePerSecond: 40, burst: 1 };
    const throttled = throttledOrg.accounts[1].id;
    await emulator.stop();
    emulator = new IamEmulator({ organization: throttledOrg, latencyMs: [2, 6] });
    await emulator.start();
    await build({ ACCOUNT_CONCURRENCY: '3', IAM_CONCURRENCY: '6', IAM_THROTTLE_MAX_WAIT_MS: '20000' });

    const result = await sut.scan('list-users', EVERY_KEY);

    expect(result.complete).toBe(true);
    expect(result.keys).toHaveLength(expected(throttledOrg, EVERY_KEY).keys.length);
    const calm = throttledOrg.accounts.filter((a) => a.id !== throttled).map((a) => a.id);
    expect(Object.values(emulator.countersFor(throttled).throttled).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(registry.get(throttled)?.rateGovernor.snapshot().decreases).toBeGreaterThan(0);
    for (const id of calm) {
      expect(emulator.countersFor(id).throttled).toEqual({});
      expect(registry.get(id)?.rateGovernor.snapshot().decreases).toBe(0);
    }
  }, 30_000);

  describe("credential reports built ahead: the next accounts' builds run while earlier ones hold the slots", () => {
    // Report times on a clock the test moves: a report is built once the clock has moved 1 s past its start.
    const lateOrg = seedOrganization({ seed: 15, accounts: 4, usersPerAccount: 3, now });
    let clockMs: number;
    const started: string[] = [];
    /** Accounts whose STS or IAM had been called before their scan started, as seen at each scan's start. */
    const reachedAhead = new Set<string>();
    /** Accounts whose GenerateCredentialReport IAM has answered at least once. */
    const generated = new Set<string>();
    let sleeps: number;

    beforeEach(async () => {
      await emulator.stop();
      clockMs = now.getTime();
      emulator = new IamEmulator({
        organization: lateOrg,
        latencyMs: [2, 6],
        reportDelayMs: 1000,
        clock: () => clockMs,
      });
      await emulator.start();
      started.length = 0;
      reachedAhead.clear();
      generated.clear();
      sleeps = 0;
    });

    /** `awaitNext`: a poll waits for the next account's build to start (else it only moves the clock). */
    async function buildWithProbes(env: Record<string, string>, awaitNext = true) {
      const until = async (done: () => boolean) => {
        // Bounded, so a service that never sends the call fails the counts below instead of hanging the test.
        for (let i = 0; i < 1000 && !done(); i++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      const calls: IamCallObserver = {
        onAttempt: (action, outcome, _ms, accountId) => {
          if (action === 'GenerateCredentialReport' && outcome === 'ok' && accountId) {
            generated.add(accountId);
          }
        },
      };
      const scans: ScanObserver = {
        scanStarted: (_source, accountId) => {
          started.push(accountId ?? 'self');
          for (const id of emulator.accountIds) {
            if (!started.includes(id) && Object.keys(emulator.countersFor(id).requests).length > 0) {
              reachedAhead.add(id);
            }
          }
        },
        scanFinished: () => undefined,
      };
      // A poll's sleep: once every account started so far (the one polling included) and the next in line have had
      // their GenerateCredentialReport answered, the clock moves past the build time of every report started.
      const sleep = async () => {
        sleeps++;
        if (awaitNext) {
          await until(() => generated.size >= Math.min(started.length + 1, lateOrg.accounts.length));
        }
        clockMs += 1000;
      };
      @Global()
      @Module({
        providers: [
          { provide: IAM_CALL_OBSERVER, useValue: calls },
          { provide: SCAN_OBSERVER, useValue: scans },
          { provide: REPORT_POLL_SLEEP, useValue: sleep },
        ],
        exports: [IAM_CALL_OBSERVER, SCAN_OBSERVER, REPORT_POLL_SLEEP],
      })
      class ProbesModule {}
      restoreEnv = setEnv({
        ...EMULATOR_AWS_ENV,
        AWS_ENDPOINT_URL: emulator.url,
        ACCOUNTS_SOURCE: 'organizations',
        ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
        IAM_MAX_ATTEMPTS: '1',
        SCAN_CACHE_TTL_SECONDS: '0',
        ...env,
      });
      moduleRef = await Test.createTestingModule({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true }), ProbesModule, IamModule],
      })
        .overrideProvider(IAM_CLOCK)
        .useValue({ now: () => now })
        .compile();
      await moduleRef.init();
      sut = moduleRef.get(OrganizationScanService);
    }

    it('one slot, four accounts: every other account finds its report built when its turn comes', async () => {
      await buildWithProbes({ ACCOUNT_CONCURRENCY: '1' });

      const result = await sut.scan('credential-report', EVERY_KEY);

      expect(result.complete).toBe(true);
      const want = expected(lateOrg, EVERY_KEY);
      expect(new Set(result.keys.map((k) => k.accessKeyId))).toEqual(new Set(want.keys.map((k) => k.accessKeyId)));
      expect(result.keys).toHaveLength(want.keys.length);
      expect(sut.accountsInFlight.peak).toBe(1);
      // The first account's build and the second's start together (the second as the first takes its slot); the first
      // polls once, and the clock moves past both. The third's starts as the second takes its slot, and so on.
      expect(started).toHaveLength(4);
      expect(sleeps).toBe(2);
      const generate = (id: string) => emulator.countersFor(id).requests.GenerateCredentialReport;
      expect(started.map(generate)).toEqual([3, 2, 3, 2]);
      for (const id of started) {
        expect(emulator.countersFor(id).requests.GetCredentialReport).toBe(1);
        // The call sent ahead is the scan's own: counted in its stats like the others.
        const outcome = result.accounts.find((a) => a.accountId === id);
        expect(outcome?.status === 'ok' && outcome.stats.callsByAction.GenerateCredentialReport).toBe(generate(id));
      }
    });

    it('list-users starts nothing ahead: no account is reached before its turn', async () => {
      await buildWithProbes({ ACCOUNT_CONCURRENCY: '1' });

      const result = await sut.scan('list-users', EVERY_KEY);

      expect(result.complete).toBe(true);
      expect(started).toHaveLength(4);
      expect([...reachedAhead]).toEqual([]);
    });

    it('an account whose AssumeRole is denied is asked once, ahead, and fails with that answer', async () => {
      await buildWithProbes({ ACCOUNT_CONCURRENCY: '1' }, false);
      emulator.assumeRoleDenied.add(MEMBER_2);

      const result = await sut.scan('credential-report', EVERY_KEY);

      expect(result.accounts.find((a) => a.accountId === MEMBER_2)).toMatchObject({
        status: 'failed',
        code: IamErrorCode.AccountAccessDenied,
        action: 'AssumeRole',
      });
      expect(emulator.countersFor(MEMBER_2).requests).toEqual({ AssumeRole: 1 });
      expect(result.accounts.filter((a) => a.status === 'ok')).toHaveLength(3);
    });
  });
});
