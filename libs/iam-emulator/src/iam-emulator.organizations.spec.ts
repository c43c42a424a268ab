import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListChildrenCommand,
  ListRootsCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListChildren,
  type Account,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { EMULATED_ROOT_ID } from './account-router';
import { EMULATOR_AWS_ENV } from './emulator-env';
import { DEFAULT_ACCOUNT_ID } from './iam-account.model';
import { IamEmulator } from './iam-emulator.server';
import type { EmulatedOrganization } from './iam-emulator.types';
import { seedAccount } from './seed-account';
import { seededMemberAccountId, seedOrganization } from './seed-organization';

const REGION = EMULATOR_AWS_ENV.AWS_REGION;
const BASE = {
  accessKeyId: EMULATOR_AWS_ENV.AWS_ACCESS_KEY_ID,
  secretAccessKey: EMULATOR_AWS_ENV.AWS_SECRET_ACCESS_KEY,
};

interface SdkError {
  name: string;
  message: string;
  $metadata: { httpStatusCode?: number };
}

async function errorOf(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the call to fail');
}

describe(`${IamEmulator.name} Organizations`, () => {
  let sut: IamEmulator;
  let endpoint: string;
  let org: EmulatedOrganization;
  const clients: { destroy(): void }[] = [];

  function organizations(credentials: AwsCredentialIdentity = BASE): OrganizationsClient {
    const client = new OrganizationsClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
    clients.push(client);
    return client;
  }

  async function start(organization: EmulatedOrganization | undefined): Promise<void> {
    sut = new IamEmulator(organization ? { organization } : { account: seedAccount({ seed: 1, users: 1 }) });
    endpoint = await sut.start(0, '127.0.0.1');
  }

  /** Every account under a parent, nested OUs included, the way a scanner walks them. */
  async function accountsUnder(client: OrganizationsClient, parentId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of paginateListAccountsForParent({ client }, { ParentId: parentId })) {
      ids.push(...(page.Accounts ?? []).map((account) => account.Id ?? ''));
    }
    const input = { ParentId: parentId, ChildType: 'ORGANIZATIONAL_UNIT' as const };
    for await (const page of paginateListChildren({ client }, input)) {
      for (const child of page.Children ?? []) {
        ids.push(...(await accountsUnder(client, child.Id ?? '')));
      }
    }
    return ids;
  }

  beforeEach(async () => {
    org = seedOrganization({
      seed: 11,
      accounts: 45,
      usersPerAccount: 1,
      nestedOus: true,
      suspended: 2,
      pendingClosure: 1,
    });
    await start(org);
  });

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.destroy());
    await sut.stop();
  });

  it('pages ListAccounts 20 at a time, every account exactly once, with its status', async () => {
    const accounts: Account[] = [];
    const pageSizes: number[] = [];
    for await (const page of paginateListAccounts({ client: organizations() }, {})) {
      pageSizes.push(page.Accounts?.length ?? 0);
      accounts.push(...(page.Accounts ?? []));
    }

    expect(pageSizes).toEqual([20, 20, 5]);
    expect(accounts.map((account) => account.Id)).toEqual(org.accounts.map((account) => account.id));
    expect(accounts[0]).toEqual({
      Id: DEFAULT_ACCOUNT_ID,
      Arn: `arn:aws:organizations::${DEFAULT_ACCOUNT_ID}:account/o-1111111111/${DEFAULT_ACCOUNT_ID}`,
      Email: 'aws+management@example.com',
      Name: 'management',
      Status: 'ACTIVE',
      State: 'ACTIVE',
      JoinedMethod: 'CREATED',
      JoinedTimestamp: new Date(Math.floor(org.accounts[0].account.root.createDate.getTime() / 1000) * 1000),
    });
    expect(accounts.slice(-3).map((account) => [account.Id, account.Status])).toEqual([
      [seededMemberAccountId(42), 'PENDING_CLOSURE'],
      [seededMemberAccountId(43), 'SUSPENDED'],
      [seededMemberAccountId(44), 'SUSPENDED'],
    ]);
    expect(sut.counters.requests.ListAccounts).toBe(3);
    expect(sut.countersFor(DEFAULT_ACCOUNT_ID).requests.ListAccounts).toBe(3);
  });

  it('honours a smaller MaxResults and refuses one above 20 or a token it did not issue', async () => {
    const client = organizations();

    const first = await client.send(new ListAccountsCommand({ MaxResults: 7 }));
    const second = await client.send(new ListAccountsCommand({ MaxResults: 7, NextToken: first.NextToken }));
    const tooMany = await errorOf(client.send(new ListAccountsCommand({ MaxResults: 21 })));
    const badToken = await errorOf(client.send(new ListAccountsCommand({ NextToken: 'bm90LWEtdG9rZW4' })));

    expect(first.Accounts?.map((account) => account.Id)).toEqual(org.accounts.slice(0, 7).map((account) => account.id));
    expect(second.Accounts?.map((account) => account.Id)).toEqual(org.accounts.slice(7, 14).map((a) => a.id));
    expect(tooMany.name).toBe('InvalidInputException');
    expect(badToken.name).toBe('InvalidInputException');
  });

  it('describes the organization and its one root', async () => {
    const client = organizations();

    const described = await client.send(new DescribeOrganizationCommand({}));
    const roots = await client.send(new ListRootsCommand({}));

    expect(described.Organization).toMatchObject({ Id: 'o-1111111111', MasterAccountId: DEFAULT_ACCOUNT_ID });
    expect(roots.Roots).toEqual([
      {
        Id: EMULATED_ROOT_ID,
        Arn: expect.stringContaining(`:root/o-1111111111/${EMULATED_ROOT_ID}`),
        Name: 'Root',
        PolicyTypes: [],
      },
    ]);
  });

  it('walks nested OUs with ListChildren and ListAccountsForParent, each account once', async () => {
    const client = organizations();
    const underOf = (parentIds: string[]) =>
      org.accounts.filter((account) => parentIds.includes(account.parentId ?? '')).map((account) => account.id);

    const everything = await accountsUnder(client, EMULATED_ROOT_ID);
    const workloads = await accountsUnder(client, 'ou-0000-workload');
    const topOus = await client.send(
      new ListChildrenCommand({ ParentId: EMULATED_ROOT_ID, ChildType: 'ORGANIZATIONAL_UNIT' }),
    );

    expect([...everything].sort()).toEqual(org.accounts.map((account) => account.id).sort());
    expect(everything).toHaveLength(45);
    expect([...workloads].sort()).toEqual(underOf(['ou-0000-workload', 'ou-0000-prod0000', 'ou-0000-dev00000']).sort());
    expect(workloads.length).toBeGreaterThan(20);
    expect(topOus.Children).toEqual([
      { Id: 'ou-0000-workload', Type: 'ORGANIZATIONAL_UNIT' },
      { Id: 'ou-0000-sandbox0', Type: 'ORGANIZATIONAL_UNIT' },
    ]);
  });

  it('pages ListChildren too', async () => {
    await sut.stop();
    await start({ ...org, pageSize: 4 });
    const pages: number[] = [];
    const input = { ParentId: EMULATED_ROOT_ID, ChildType: 'ACCOUNT' as const };
    for await (const page of paginateListChildren({ client: organizations() }, input)) {
      pages.push(page.Children?.length ?? 0);
    }

    expect(org.accounts.filter((account) => account.parentId === EMULATED_ROOT_ID)).toHaveLength(9);
    expect(pages).toEqual([4, 4, 1]);
  });

  it('answers ParentNotFoundException for an unknown OU and InvalidInputException for a malformed id', async () => {
    const client = organizations();

    const unknown = await errorOf(
      client.send(new ListChildrenCommand({ ParentId: 'ou-0000-zzzzzzzz', ChildType: 'ACCOUNT' })),
    );
    const malformed = await errorOf(client.send(new ListChildrenCommand({ ParentId: 'ou-1', ChildType: 'ACCOUNT' })));

    expect(unknown).toMatchObject({ name: 'ParentNotFoundException', $metadata: { httpStatusCode: 400 } });
    expect(malformed.name).toBe('InvalidInputException');
  });

  it('refuses a member account, and the management account when its ListAccounts is denied', async () => {
    const sts = new STSClient({ endpoint, region: REGION, credentials: BASE, maxAttempts: 1 });
    clients.push(sts);
    const assumed = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${seededMemberAccountId(1)}:role/IamKeyMonitorReadOnly`,
        RoleSessionName: 'iam-key-monitor',
      }),
    );
    const member = {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken,
    };

    const fromMember = await errorOf(organizations(member).send(new ListAccountsCommand({})));
    sut.faults.accessDenied.add('ListAccounts');
    const denied = await errorOf(organizations().send(new ListAccountsCommand({})));
    const stillAllowed = await organizations().send(new ListRootsCommand({}));

    expect(fromMember.name).toBe('AccessDeniedException');
    expect(denied.name).toBe('AccessDeniedException');
    expect(stillAllowed.Roots).toHaveLength(1);
    expect(sut.countersFor(seededMemberAccountId(1)).errors).toEqual({ AccessDeniedException: 1 });
  });

  it('answers AWSOrganizationsNotInUseException without an organization', async () => {
    await sut.stop();
    await start(undefined);

    const err = await errorOf(organizations().send(new ListAccountsCommand({})));

    expect(err.name).toBe('AWSOrganizationsNotInUseException');
  });

  it('answers an unsigned call with MissingAuthenticationTokenException', async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSOrganizationsV20161128.ListRoots' },
      body: '{}',
    });

    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
  });
});
