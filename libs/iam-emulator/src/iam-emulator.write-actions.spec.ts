import {
  DeleteAccessKeyCommand,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { EMULATOR_AWS_ENV } from './emulator-env';
import { IamAccount } from './iam-account.model';
import { IamEmulator } from './iam-emulator.server';
import { seededMemberAccountId, seedOrganization } from './seed-organization';

const REGION = EMULATOR_AWS_ENV.AWS_REGION;
const BASE = {
  accessKeyId: EMULATOR_AWS_ENV.AWS_ACCESS_KEY_ID,
  secretAccessKey: EMULATOR_AWS_ENV.AWS_SECRET_ACCESS_KEY,
};
const KEY = 'AKIAWRITEACTIONS0001';
const OTHER = 'AKIAWRITEACTIONS0002';

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; $metadata: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as { name: string; $metadata: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

describe(`${IamEmulator.name} UpdateAccessKey and DeleteAccessKey`, () => {
  let sut: IamEmulator;
  let account: IamAccount;
  let client: IAMClient;

  beforeEach(async () => {
    account = new IamAccount();
    account.addUser({ userName: 'alice', accessKeys: [{ accessKeyId: KEY, createDate: new Date('2025-01-01Z') }] });
    account.addUser({ userName: 'bob', accessKeys: [{ accessKeyId: OTHER }] });
    sut = new IamEmulator({ account });
    const endpoint = await sut.start();
    client = new IAMClient({ region: REGION, endpoint, credentials: BASE, maxAttempts: 1 });
  });

  afterEach(async () => {
    client.destroy();
    await sut.stop();
  });

  it('sets a key Inactive and Active again, seen by ListAccessKeys and the credential report, counted per action', async () => {
    await client.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: KEY, Status: 'Inactive' }));

    const listed = await client.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(listed.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([[KEY, 'Inactive']]);
    await client.send(new GenerateCredentialReportCommand({}));
    const report = await client.send(new GetCredentialReportCommand({}));
    const alice = Buffer.from(report.Content ?? new Uint8Array())
      .toString('utf8')
      .split('\n')
      .find((line) => line.startsWith('alice,'));
    expect(alice?.split(',')[8]).toBe('false'); // access_key_1_active

    await client.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: KEY, Status: 'Active' }));
    expect(account.findAccessKey(KEY)?.key.status).toBe('Active');
    expect(sut.counters.requests).toMatchObject({ UpdateAccessKey: 2 });
  });

  it('deletes a key by id, after which it is gone for every action', async () => {
    await client.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: KEY }));

    const listed = await client.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(listed.AccessKeyMetadata).toEqual([]);
    const again = await errorOf(client.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: KEY })));
    expect(again.name).toBe('NoSuchEntityException');
    expect(sut.counters.requests).toMatchObject({ DeleteAccessKey: 2 });
    expect(sut.counters.errors).toEqual({ NoSuchEntity: 1 });
  });

  it('answers NoSuchEntity for an unknown key, an unknown user, or a key of another user; touches nothing', async () => {
    const unknown = await errorOf(
      client.send(
        new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: 'AKIANOSUCHKEY0000000', Status: 'Inactive' }),
      ),
    );
    const noUser = await errorOf(
      client.send(new UpdateAccessKeyCommand({ UserName: 'carol', AccessKeyId: KEY, Status: 'Inactive' })),
    );
    const notHers = await errorOf(client.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: OTHER })));

    expect([unknown, noUser, notHers].map((e) => [e.name, e.$metadata.httpStatusCode])).toEqual([
      ['NoSuchEntityException', 404],
      ['NoSuchEntityException', 404],
      ['NoSuchEntityException', 404],
    ]);
    expect(account.findAccessKey(KEY)?.key.status).toBe('Active');
    expect(account.findAccessKey(OTHER)).toBeDefined();
  });

  it('refuses a status other than Active or Inactive with ValidationError', async () => {
    const err = await errorOf(
      client.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: KEY, Status: 'Paused' as 'Active' })),
    );

    expect(err.name).toBe('ValidationError');
    expect(account.findAccessKey(KEY)?.key.status).toBe('Active');
  });

  it('is refused by the AccessDenied fault and throttled by the rate limit like every IAM action', async () => {
    sut.faults.accessDenied.add('UpdateAccessKey');
    const denied = await errorOf(
      client.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: KEY, Status: 'Inactive' })),
    );
    expect(denied.name).toBe('AccessDenied');
    expect(account.findAccessKey(KEY)?.key.status).toBe('Active');

    await sut.stop();
    sut = new IamEmulator({ account, rateLimit: { ratePerSecond: 0.001, burst: 1 } });
    client.destroy();
    client = new IAMClient({ region: REGION, endpoint: await sut.start(), credentials: BASE, maxAttempts: 1 });
    await client.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    const throttled = await errorOf(client.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: KEY })));
    expect(throttled.name).toBe('Throttling');
    expect(sut.counters.throttled).toEqual({ DeleteAccessKey: 1 });
    expect(account.findAccessKey(KEY)).toBeDefined();
  });

  it('in an organization, acts in the member account of the credentials, under a second granted role name', async () => {
    await sut.stop();
    const org = seedOrganization({ seed: 5, accounts: 2, usersPerAccount: 2 });
    const member = seededMemberAccountId(1);
    sut = new IamEmulator({ organization: org, otherRoleNames: ['IamKeyMonitorRemediation'] });
    const endpoint = await sut.start();
    const sts = new STSClient({ region: REGION, endpoint, credentials: BASE });
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${member}:role/IamKeyMonitorRemediation`,
        RoleSessionName: 'remediation',
      }),
    );
    sts.destroy();
    const memberClient = new IAMClient({
      region: REGION,
      endpoint,
      maxAttempts: 1,
      credentials: {
        accessKeyId: out.Credentials?.AccessKeyId ?? '',
        secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
        sessionToken: out.Credentials?.SessionToken,
      },
    });
    const user = sut.iamAccount(member).listUsers()[0];
    const key = user.accessKeys[0];
    sut.accountFaults(member).accessDenied.add('DeleteAccessKey');

    await memberClient.send(
      new UpdateAccessKeyCommand({ UserName: user.userName, AccessKeyId: key.accessKeyId, Status: 'Inactive' }),
    );
    const denied = await errorOf(
      memberClient.send(new DeleteAccessKeyCommand({ UserName: user.userName, AccessKeyId: key.accessKeyId })),
    );
    memberClient.destroy();

    expect(key.status).toBe('Inactive');
    expect(denied.name).toBe('AccessDenied');
    expect(sut.countersFor(member).requests).toMatchObject({ UpdateAccessKey: 1, DeleteAccessKey: 1 });
    expect(sut.countersFor(org.managementAccountId).requests.UpdateAccessKey).toBeUndefined();
  });
});
