import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@nestjs/common';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  EMULATED_ROOT_ID,
  EMULATOR_AWS_ENV,
  IamEmulator,
  seedOrganization,
  setEnv,
  type EmulatedOrganization,
} from '@app/iam-emulator';
import type { AccountPlan, AwsCredentialIdentityProvider } from './accounts.types';
import { AccountDirectory } from './directory/account-directory';
import { AccountsErrorCode, AccountsException } from './errors/accounts.exception';
import { OrganizationsClientProvider } from './organizations/organizations-client.provider';
import { StsClientProvider } from './sts/sts-client.provider';
import { testAccountsConfig } from './testing/accounts-config.fixture';

const EXTERNAL_ID = 'ext-13/scanner';
const REGION = EMULATOR_AWS_ENV.AWS_REGION;

/** The providers against the local emulator over HTTP, with the real SDK: signing, Query XML, JSON 1.1, paging. */
describe('libs/accounts against the emulator', () => {
  // 9 accounts over the root and nested OUs, 3 per Organizations page; the last two not ACTIVE.
  const org: EmulatedOrganization = seedOrganization({
    seed: 13,
    accounts: 9,
    usersPerAccount: (index) => index + 1,
    nestedOus: true,
    suspended: 1,
    pendingClosure: 1,
    pageSize: 3,
  });
  let emulator: IamEmulator;
  let endpoint: string;
  let restoreEnv: () => void;
  let sts: StsClientProvider;
  let organizations: OrganizationsClientProvider;
  let sut: AccountDirectory;
  const clients: { destroy(): void }[] = [];

  const build = (env: Record<string, string> = {}) => {
    const config = testAccountsConfig({
      ACCOUNTS_SOURCE: 'organizations',
      ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
      ACCOUNT_ROLE_EXTERNAL_ID: EXTERNAL_ID,
      AWS_ENDPOINT_URL: endpoint,
      ...env,
    });
    sts = new StsClientProvider(config);
    organizations = new OrganizationsClientProvider(config);
    sut = new AccountDirectory(config, sts, organizations);
  };

  const track = <T extends { destroy(): void }>(client: T): T => {
    clients.push(client);
    return client;
  };

  const memberOf = (plan: AccountPlan, accountId: string): AwsCredentialIdentityProvider => {
    const credentials = plan.accounts.find((a) => a.accountId === accountId)?.credentials;
    if (!credentials) {
      throw new Error(`no credentials for ${accountId}`);
    }
    return credentials;
  };

  const activeMembers = org.accounts.filter(
    (a) => (a.status ?? 'ACTIVE') === 'ACTIVE' && a.id !== org.managementAccountId,
  );

  beforeAll(async () => {
    Logger.overrideLogger(false);
    restoreEnv = setEnv(EMULATOR_AWS_ENV);
    emulator = new IamEmulator({ organization: org, requiredExternalId: EXTERNAL_ID, sessionTtlSeconds: 2 });
    endpoint = await emulator.start(0, '127.0.0.1');
  });

  afterAll(async () => {
    await emulator.stop();
    restoreEnv();
  });

  beforeEach(() => {
    emulator.resetCounters();
    emulator.assumeRoleDenied.clear();
    build();
  });

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.destroy());
    await sts.onModuleDestroy();
    await organizations.onModuleDestroy();
  });

  it('resolves the whole organization across ListAccounts pages, the management account as self', async () => {
    const plan = await sut.resolve();

    expect(plan.accounts.map(({ accountId, accountName, self }) => ({ accountId, accountName, self }))).toEqual(
      [org.managementAccountId, ...activeMembers.map((a) => a.id)].sort().map((id) => ({
        accountId: id,
        accountName: org.accounts.find((a) => a.id === id)!.name,
        self: id === org.managementAccountId,
      })),
    );
    expect(plan.accounts.find((a) => a.self)?.credentials).toBeUndefined();
    expect(plan.skipped).toEqual(
      org.accounts
        .filter((a) => (a.status ?? 'ACTIVE') !== 'ACTIVE')
        .map((a) => ({ accountId: a.id, accountName: a.name, reason: a.status })),
    );
    expect(emulator.counters.requests.ListAccounts).toBe(Math.ceil(org.accounts.length / 3));
    expect(emulator.counters.requests.AssumeRole).toBeUndefined(); // sessions are opened by the first call, not here
  });

  it('resolves only the accounts under an included OU, its nested OUs walked', async () => {
    build({ ORG_INCLUDE_OUS: 'ou-0000-workload' });
    const under = new Set(['ou-0000-workload']);
    for (let grew = true; grew;) {
      const before = under.size;
      (org.ous ?? []).filter((ou) => under.has(ou.parentId)).forEach((ou) => under.add(ou.id));
      grew = under.size > before;
    }
    const expected = org.accounts.filter((a) => under.has(a.parentId ?? EMULATED_ROOT_ID));
    expect(under.size).toBeGreaterThan(1);
    expect(expected.length).toBeGreaterThan(1);

    const plan = await sut.resolve();

    expect([...plan.accounts, ...plan.skipped].map((a) => a.accountId).sort()).toEqual(
      expected.map((a) => a.id).sort(),
    );
    expect(emulator.counters.requests.ListAccounts).toBeUndefined();
  });

  it("gets into a member account: AssumeRole with the ExternalId, then that account's identity and users", async () => {
    const member = activeMembers[2];
    const credentials = memberOf(await sut.resolve(), member.id);

    const identity = await track(new STSClient({ endpoint, region: REGION, credentials })).send(
      new GetCallerIdentityCommand({}),
    );
    const users = await track(new IAMClient({ endpoint, region: REGION, credentials })).send(new ListUsersCommand({}));

    expect(identity.Account).toBe(member.id);
    expect(identity.Arn).toMatch(new RegExp(`^arn:aws:sts::${member.id}:assumed-role/${DEFAULT_MEMBER_ROLE_NAME}/`));
    expect(users.Users?.map((u) => u.UserName).sort()).toEqual(
      member.account
        .listUsers()
        .map((u) => u.userName)
        .sort(),
    );
    expect(emulator.countersFor(member.id).requests.AssumeRole).toBe(1);
    expect(emulator.countersFor(org.managementAccountId).requests.AssumeRole).toBeUndefined();
  });

  it('shares one session per account and refreshes it before it expires', async () => {
    const member = activeMembers[0];
    const credentials = memberOf(await sut.resolve(), member.id);
    const iam = track(new IAMClient({ endpoint, region: REGION, credentials }));

    const first = await credentials();
    await Promise.all([1, 2, 3].map(() => iam.send(new ListUsersCommand({}))));
    expect(emulator.countersFor(member.id).requests.AssumeRole).toBe(1);

    // The emulator's sessions live 2 s; past three quarters of that the next call opens a new one, and IAM accepts it.
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    await iam.send(new ListUsersCommand({}));
    const second = await credentials();

    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(emulator.countersFor(member.id).requests.AssumeRole).toBe(2);
    expect(emulator.countersFor(member.id).errors).toEqual({});
  });

  it('names the account whose AssumeRole is denied, and the others still get in', async () => {
    const [denied, allowed] = activeMembers;
    emulator.assumeRoleDenied.add(denied.id);
    const plan = await sut.resolve();

    await expect(memberOf(plan, denied.id)()).rejects.toMatchObject({
      code: AccountsErrorCode.AccountAccessDenied,
      action: 'AssumeRole',
      accountId: denied.id,
      message: `AssumeRole of ${DEFAULT_MEMBER_ROLE_NAME} in account ${denied.id} was denied`,
    });
    await expect(memberOf(plan, allowed.id)()).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });

    // An IAM client of that account gets the same error, not retried and not wrapped, for its caller to map.
    const iam = track(
      new IAMClient({ endpoint, region: REGION, credentials: memberOf(plan, denied.id), maxAttempts: 3 }),
    );
    const err = await iam.send(new ListUsersCommand({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountsException);
    expect(err).toMatchObject({ code: AccountsErrorCode.AccountAccessDenied, accountId: denied.id });
    expect(emulator.countersFor(denied.id).requests).toEqual({ AssumeRole: 2 });
  });

  it('is denied with a wrong ExternalId', async () => {
    build({ ACCOUNT_ROLE_EXTERNAL_ID: 'not-the-one' });
    const member = activeMembers[0];
    await expect(memberOf(await sut.resolve(), member.id)()).rejects.toMatchObject({
      code: AccountsErrorCode.AccountAccessDenied,
      accountId: member.id,
    });
  });

  it('fails the resolve when Organizations refuses the caller, never an empty plan', async () => {
    emulator.accountFaults(org.managementAccountId).accessDenied.add('ListAccounts');
    try {
      await expect(sut.resolve()).rejects.toMatchObject({
        code: AccountsErrorCode.OrganizationsAccessDenied,
        action: 'ListAccounts',
      });
    } finally {
      emulator.accountFaults(org.managementAccountId).accessDenied.delete('ListAccounts');
    }
  });
});
