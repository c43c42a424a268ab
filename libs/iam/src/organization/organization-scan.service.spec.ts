import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { AccountDirectory, AccountsErrorCode, AccountsException } from '@app/accounts';
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
import { IamClientRegistry } from '../client/iam-client.registry';
import { IamErrorCode } from '../errors/iam.exception';
import { IAM_CLOCK } from '../iam.constants';
import { IamModule } from '../iam.module';
import type { ScanQuery, ScanSource } from '../iam.types';
import { OldKeysService } from '../scan/old-keys.service';
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

  it('gives the slots to the accounts that took longest last time, accounts not yet read first, in list order', async () => {
    await build({ ACCOUNT_CONCURRENCY: '1' });
    const oldKeys = moduleRef.get(OldKeysService);
    const realScan = oldKeys.scan.bind(oldKeys);
    const MEMBER_4 = seededMemberAccountId(4);
    const took = new Map([
      [DEFAULT_ACCOUNT_ID, 10],
      [MEMBER_1, 40],
      [MEMBER_2, 300],
      [MEMBER_3, 20],
      [MEMBER_4, 90],
    ]);
    let order: string[] = [];
    jest.spyOn(oldKeys, 'scan').mockImplementation(async (source, query, iam) => {
      const result = await realScan(source, query, iam);
      const accountId = iam?.accountId ?? '';
      order.push(accountId);
      return { ...result, stats: { ...result.stats, durationMs: took.get(accountId) ?? 0 } };
    });
    const scanOrder = async (source: ScanSource, accountIds?: string[]) => {
      order = [];
      const result = await sut.scan(source, EVERY_KEY, { accountIds });
      expect(result.complete).toBe(true);
      return order;
    };
    const listed = (await moduleRef.get(AccountDirectory).resolve()).accounts.map((a) => a.accountId);
    expect([...listed].sort()).toEqual([...took.keys()].sort());
    const notYetRead = listed.filter((id) => id !== MEMBER_1 && id !== MEMBER_2);

    expect(await scanOrder('list-users', [MEMBER_2, MEMBER_1])).toEqual(
      listed.filter((id) => !notYetRead.includes(id)),
    );
    expect(await scanOrder('list-users')).toEqual([...notYetRead, MEMBER_2, MEMBER_1]);
    expect(await scanOrder('credential-report')).toEqual([MEMBER_2, MEMBER_4, MEMBER_1, MEMBER_3, DEFAULT_ACCOUNT_ID]);
    took.set(MEMBER_2, 5);
    await scanOrder('list-users');
    expect(await scanOrder('list-users')).toEqual([MEMBER_4, MEMBER_1, MEMBER_3, DEFAULT_ACCOUNT_ID, MEMBER_2]);
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
});
