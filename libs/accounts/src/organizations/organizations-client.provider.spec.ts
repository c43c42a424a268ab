import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
  ParentNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-organizations';
import { Logger } from '@nestjs/common';
import { mockClient } from 'aws-sdk-client-mock';
import { AccountsErrorCode, AccountsException } from '../errors/accounts.exception';
import { testAccountsConfig } from '../testing/accounts-config.fixture';
import { OrganizationsClientProvider } from './organizations-client.provider';

const organizations = mockClient(OrganizationsClient);
const modelled = <T>(Error: new (opts: { message: string; $metadata: object }) => T): T =>
  new Error({
    message: 'arn:aws:organizations::111111111111:account/o-secret/x is not allowed',
    $metadata: { httpStatusCode: 400 },
  });

describe(OrganizationsClientProvider.name, () => {
  let sut: OrganizationsClientProvider;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    organizations.reset();
    sut = new OrganizationsClientProvider(testAccountsConfig());
  });

  afterEach(async () => {
    await sut.onModuleDestroy();
  });

  it('lists every account across pages, reading State before the deprecated Status', async () => {
    organizations
      .on(ListAccountsCommand)
      .resolvesOnce({
        Accounts: [
          { Id: '111111111111', Name: 'management', State: 'ACTIVE', Status: 'ACTIVE' },
          { Id: '222222222222', Name: 'prod', Status: 'SUSPENDED' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Accounts: [{ Id: '333333333333', Name: 'dev', State: 'PENDING_CLOSURE', Status: 'ACTIVE' }],
        NextToken: 'page-3',
      })
      .resolvesOnce({ Accounts: [{ Id: '444444444444', State: 'ACTIVE' }] });

    await expect(sut.listAccounts()).resolves.toEqual([
      { id: '111111111111', name: 'management', state: 'ACTIVE' },
      { id: '222222222222', name: 'prod', state: 'SUSPENDED' },
      { id: '333333333333', name: 'dev', state: 'PENDING_CLOSURE' },
      { id: '444444444444', name: undefined, state: 'ACTIVE' },
    ]);
    expect(organizations.commandCalls(ListAccountsCommand).map((c) => c.args[0].input)).toEqual([
      { NextToken: undefined },
      { NextToken: 'page-2' },
      { NextToken: 'page-3' },
    ]);
  });

  it('lists the children of one type and the accounts of a parent, each across pages', async () => {
    organizations
      .on(ListChildrenCommand)
      .resolvesOnce({ Children: [{ Id: 'ou-ab12-11111111', Type: 'ORGANIZATIONAL_UNIT' }], NextToken: 't' })
      .resolvesOnce({ Children: [{ Id: 'ou-ab12-22222222', Type: 'ORGANIZATIONAL_UNIT' }] });
    organizations
      .on(ListAccountsForParentCommand)
      .resolvesOnce({ Accounts: [{ Id: '222222222222', Name: 'prod', State: 'ACTIVE' }], NextToken: 't' })
      .resolvesOnce({ Accounts: [{ Id: '333333333333', Name: 'dev', State: 'ACTIVE' }] });

    await expect(sut.listChildren('r-ab12', 'ORGANIZATIONAL_UNIT')).resolves.toEqual([
      'ou-ab12-11111111',
      'ou-ab12-22222222',
    ]);
    await expect(sut.listAccountsForParent('ou-ab12-11111111')).resolves.toEqual([
      { id: '222222222222', name: 'prod', state: 'ACTIVE' },
      { id: '333333333333', name: 'dev', state: 'ACTIVE' },
    ]);
    expect(organizations.commandCalls(ListChildrenCommand).map((c) => c.args[0].input)).toEqual([
      { ParentId: 'r-ab12', ChildType: 'ORGANIZATIONAL_UNIT', NextToken: undefined },
      { ParentId: 'r-ab12', ChildType: 'ORGANIZATIONAL_UNIT', NextToken: 't' },
    ]);
    expect(organizations).toHaveReceivedCommandWith(ListAccountsForParentCommand, {
      ParentId: 'ou-ab12-11111111',
      NextToken: 't',
    });
  });

  it('fails the whole listing when a later page fails: never a partial or empty list', async () => {
    organizations
      .on(ListAccountsCommand)
      .resolvesOnce({ Accounts: [{ Id: '111111111111', State: 'ACTIVE' }], NextToken: 'page-2' })
      .rejectsOnce(modelled(TooManyRequestsException));

    const err = await sut.listAccounts().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountsException);
    expect(err).toMatchObject({
      code: AccountsErrorCode.OrganizationsUnavailable,
      action: 'ListAccounts',
      awsErrorName: 'TooManyRequestsException',
      retryAfterSeconds: 30,
      message: 'Organizations call ListAccounts failed (TooManyRequestsException, HTTP 400)',
    });
  });

  it.each([
    [
      'AccessDeniedException',
      AccessDeniedException,
      AccountsErrorCode.OrganizationsAccessDenied,
      /^Organizations denied ListAccounts to the service's credentials/,
    ],
    [
      'AWSOrganizationsNotInUseException',
      AWSOrganizationsNotInUseException,
      AccountsErrorCode.OrganizationsNotInUse,
      /^The service's account is not a member of an organization$/,
    ],
  ])('maps %s to its code, without the AWS message', async (_, Modelled, code, message) => {
    organizations.on(ListAccountsCommand).rejects(modelled(Modelled as never));
    const err = (await sut.listAccounts().catch((e: unknown) => e)) as AccountsException;
    expect(err).toMatchObject({ code, action: 'ListAccounts' });
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('o-secret');
  });

  it('names an included parent Organizations does not know', async () => {
    organizations.on(ListAccountsForParentCommand).rejects(modelled(ParentNotFoundException));
    await expect(sut.listAccountsForParent('ou-ab12-99999999')).rejects.toMatchObject({
      code: AccountsErrorCode.OrganizationsParentNotFound,
      action: 'ListAccountsForParent',
      message: 'The organization has no root or OU ou-ab12-99999999 (ORG_INCLUDE_OUS)',
    });
  });

  it('refuses a page token handed out twice instead of looping', async () => {
    organizations
      .on(ListAccountsCommand)
      .resolves({ Accounts: [{ Id: '111111111111', State: 'ACTIVE' }], NextToken: 'again' });
    await expect(sut.listAccounts()).rejects.toMatchObject({
      code: AccountsErrorCode.OrganizationsUnavailable,
      message: 'Organizations repeated a page token during ListAccounts',
    });
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 2);
  });

  it('refuses an account without an id', async () => {
    organizations.on(ListAccountsCommand).resolves({ Accounts: [{ Name: 'nameless' }] });
    await expect(sut.listAccounts()).rejects.toMatchObject({
      code: AccountsErrorCode.OrganizationsUnavailable,
      message: 'Organizations answered ListAccounts without Id',
    });
  });

  it('creates one client for concurrent first callers and destroys it on shutdown', async () => {
    organizations.on(ListAccountsCommand).resolves({ Accounts: [] });
    const destroy = jest.spyOn(OrganizationsClient.prototype, 'destroy');
    await Promise.all([sut.listAccounts(), sut.listAccounts(), sut.listAccounts()]);
    const clients = new Set(organizations.commandCalls(ListAccountsCommand).map((c) => c.thisValue as unknown));
    expect(clients.size).toBe(1);
    await sut.onModuleDestroy();
    expect(destroy).toHaveBeenCalledTimes(1);
  });
});
