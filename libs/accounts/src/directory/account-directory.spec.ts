import {
  AccessDeniedException,
  type Account,
  type AccountState,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@nestjs/common';
import { mockClient } from 'aws-sdk-client-mock';
import { AccountsErrorCode, AccountsException } from '../errors/accounts.exception';
import { OrganizationsClientProvider } from '../organizations/organizations-client.provider';
import { StsClientProvider } from '../sts/sts-client.provider';
import { testAccountsConfig } from '../testing/accounts-config.fixture';
import { AccountDirectory } from './account-directory';

const sts = mockClient(STSClient);
const organizations = mockClient(OrganizationsClient);

const OWN = '111111111111';
const ROLE = { ACCOUNT_ROLE_NAME: 'IamKeyMonitorReadOnly' };
const ORG = { ACCOUNTS_SOURCE: 'organizations', ...ROLE };

const account = (Id: string, Name: string, State: AccountState = 'ACTIVE'): Account => ({ Id, Name, State });

describe(AccountDirectory.name, () => {
  let sut: AccountDirectory;
  let stsProvider: StsClientProvider;
  let organizationsProvider: OrganizationsClientProvider;

  const build = (env: Record<string, string>) => {
    const config = testAccountsConfig(env);
    stsProvider = new StsClientProvider(config);
    organizationsProvider = new OrganizationsClientProvider(config);
    sut = new AccountDirectory(config, stsProvider, organizationsProvider);
  };

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    sts.reset();
    organizations.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Account: OWN, Arn: `arn:aws:iam::${OWN}:role/scanner` });
  });

  afterEach(async () => {
    await stsProvider.onModuleDestroy();
    await organizationsProvider.onModuleDestroy();
  });

  it('self: the own account alone, with the default credentials, and no Organizations call', async () => {
    build({});
    await expect(sut.resolve()).resolves.toEqual({ accounts: [{ accountId: OWN, self: true }], skipped: [] });
    expect(organizations.calls()).toHaveLength(0);
  });

  it('list: every listed account through its role, the own one as self without AssumeRole', async () => {
    build({ ACCOUNTS_SOURCE: 'list', ACCOUNT_IDS: `333333333333,${OWN},222222222222`, ...ROLE });
    const plan = await sut.resolve();
    expect(plan).toEqual({
      accounts: [
        { accountId: OWN, self: true },
        { accountId: '222222222222', self: false, credentials: expect.any(Function) as unknown },
        { accountId: '333333333333', self: false, credentials: expect.any(Function) as unknown },
      ],
      skipped: [],
    });
    expect(plan.accounts[1].credentials).toBe(stsProvider.roleCredentials('222222222222'));
    expect(organizations.calls()).toHaveLength(0);
  });

  it('organizations: every account across ListAccounts pages, not ACTIVE ones skipped with their state, excluded ones gone', async () => {
    build({ ...ORG, ORG_EXCLUDE_ACCOUNTS: '555555555555,666666666666' });
    organizations
      .on(ListAccountsCommand)
      .resolvesOnce({ Accounts: [account('444444444444', 'dev'), account(OWN, 'management')], NextToken: 'p2' })
      .resolvesOnce({
        Accounts: [account('222222222222', 'old', 'SUSPENDED'), account('555555555555', 'sandbox')],
        NextToken: 'p3',
      })
      .resolvesOnce({
        Accounts: [account('333333333333', 'closing', 'PENDING_CLOSURE'), account('666666666666', 'gone', 'SUSPENDED')],
      });

    const plan = await sut.resolve();

    expect(plan).toEqual({
      accounts: [
        { accountId: OWN, accountName: 'management', self: true },
        { accountId: '444444444444', accountName: 'dev', self: false, credentials: expect.any(Function) as unknown },
      ],
      skipped: [
        { accountId: '222222222222', accountName: 'old', reason: 'SUSPENDED' },
        { accountId: '333333333333', accountName: 'closing', reason: 'PENDING_CLOSURE' },
      ],
    });
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 3);
  });

  it('organizations with ORG_INCLUDE_OUS: the accounts of those OUs and of every OU nested in them, each parent read once', async () => {
    // r-ab12 ─ ou-ab12-aaaaaaaa ─ ou-ab12-bbbbbbbb ─ ou-ab12-cccccccc
    //        └ (accounts of the root, not included)
    build({ ...ORG, ORG_INCLUDE_OUS: 'ou-ab12-aaaaaaaa,ou-ab12-bbbbbbbb', ORG_EXCLUDE_ACCOUNTS: '777777777777' });
    const children: Record<string, string[]> = {
      'ou-ab12-aaaaaaaa': ['ou-ab12-bbbbbbbb'],
      'ou-ab12-bbbbbbbb': ['ou-ab12-cccccccc'],
      'ou-ab12-cccccccc': [],
    };
    for (const [parent, ous] of Object.entries(children)) {
      organizations
        .on(ListChildrenCommand, { ParentId: parent, ChildType: 'ORGANIZATIONAL_UNIT' })
        .resolves({ Children: ous.map((Id) => ({ Id, Type: 'ORGANIZATIONAL_UNIT' })) });
    }
    organizations
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-aaaaaaaa' })
      .resolves({ Accounts: [account('222222222222', 'a')] });
    organizations
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-bbbbbbbb' })
      .resolvesOnce({ Accounts: [account('333333333333', 'b1')], NextToken: 'more' })
      .resolvesOnce({ Accounts: [account('444444444444', 'b2', 'SUSPENDED'), account('777777777777', 'excluded')] });
    organizations
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-cccccccc' })
      .resolves({ Accounts: [account('555555555555', 'deep')] });

    const plan = await sut.resolve();

    expect(plan.accounts.map((a) => [a.accountId, a.accountName])).toEqual([
      ['222222222222', 'a'],
      ['333333333333', 'b1'],
      ['555555555555', 'deep'],
    ]);
    expect(plan.skipped).toEqual([{ accountId: '444444444444', accountName: 'b2', reason: 'SUSPENDED' }]);
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 0);
    expect(organizations.commandCalls(ListAccountsForParentCommand).map((c) => c.args[0].input.ParentId)).toEqual([
      'ou-ab12-aaaaaaaa',
      'ou-ab12-bbbbbbbb',
      'ou-ab12-bbbbbbbb',
      'ou-ab12-cccccccc',
    ]);
    expect(organizations).toHaveReceivedCommandTimes(ListChildrenCommand, 3);
  });

  it('fails when ListAccounts fails, never answering an empty organization', async () => {
    build(ORG);
    organizations
      .on(ListAccountsCommand)
      .rejects(new AccessDeniedException({ message: 'not the management account', $metadata: {} }));
    const err = await sut.resolve().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountsException);
    expect(err).toMatchObject({ code: AccountsErrorCode.OrganizationsAccessDenied, action: 'ListAccounts' });
  });

  it('fails when a nested OU cannot be read, rather than leaving its accounts out', async () => {
    build({ ...ORG, ORG_INCLUDE_OUS: 'r-ab12' });
    organizations.on(ListAccountsForParentCommand).resolves({ Accounts: [account('222222222222', 'a')] });
    organizations
      .on(ListChildrenCommand)
      .resolvesOnce({ Children: [{ Id: 'ou-ab12-aaaaaaaa', Type: 'ORGANIZATIONAL_UNIT' }] })
      .rejectsOnce(Object.assign(new Error('boom'), { name: 'ServiceException', $metadata: { httpStatusCode: 500 } }));
    await expect(sut.resolve()).rejects.toMatchObject({
      code: AccountsErrorCode.OrganizationsUnavailable,
      action: 'ListChildren',
      message: 'Organizations call ListChildren failed (ServiceException, HTTP 500)',
    });
  });

  it('reads the organization again for every scan, keeping each account’s credentials provider', async () => {
    build(ORG);
    organizations
      .on(ListAccountsCommand)
      .resolvesOnce({ Accounts: [account('222222222222', 'a'), account('333333333333', 'b')] })
      .resolvesOnce({ Accounts: [account('222222222222', 'a'), account('333333333333', 'b', 'SUSPENDED')] });

    const first = await sut.resolve();
    const second = await sut.resolve();

    expect(first.accounts.map((a) => a.accountId)).toEqual(['222222222222', '333333333333']);
    expect(second.accounts.map((a) => a.accountId)).toEqual(['222222222222']);
    expect(second.skipped).toEqual([{ accountId: '333333333333', accountName: 'b', reason: 'SUSPENDED' }]);
    expect(second.accounts[0].credentials).toBe(first.accounts[0].credentials);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
  });

  it('fails when the own account is unknown', async () => {
    build({});
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('x'), { name: 'InvalidClientTokenId' }));
    await expect(sut.resolve()).rejects.toMatchObject({ code: AccountsErrorCode.CallerIdentityUnavailable });
  });
});
