import {
  AssumeRoleCommand as NestedAssumeRoleCommand,
  STSClient as NestedSTSClient,
} from '@aws-sdk/nested-clients/sts';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@nestjs/common';
import { mockClient } from 'aws-sdk-client-mock';
import { AccountsErrorCode, AccountsException } from '../errors/accounts.exception';
import { testAccountsConfig } from '../testing/accounts-config.fixture';
import { StsClientProvider } from './sts-client.provider';

// fromTemporaryCredentials sends AssumeRole through the SDK's internal STS client (@aws-sdk/nested-clients), not
// @aws-sdk/client-sts's, so that class is the one mocked for AssumeRole.
const sts = mockClient(STSClient);
const assumeRole = mockClient(NestedSTSClient);

const ROLE = { ACCOUNTS_SOURCE: 'list', ACCOUNT_IDS: '222222222222', ACCOUNT_ROLE_NAME: 'IamKeyMonitorReadOnly' };
const HOUR_MS = 3_600_000;

const awsError = (name: string, status: number): Error =>
  Object.assign(new Error(`User: arn:aws:sts::111111111111:assumed-role/scanner/x is not authorized (${name})`), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
  });

const session = (n: number, expiresInMs = HOUR_MS) => ({
  Credentials: {
    AccessKeyId: `ASIA${String(n).padStart(16, '0')}`,
    SecretAccessKey: `secret-${n}`,
    SessionToken: `token-${n}`,
    Expiration: new Date(Date.now() + expiresInMs),
  },
});

describe(StsClientProvider.name, () => {
  let sut: StsClientProvider;

  const build = (env: Record<string, string> = ROLE) => {
    sut = new StsClientProvider(testAccountsConfig(env));
  };

  beforeEach(() => {
    // The client's creation line is asserted where it matters (below); elsewhere it is noise in npm test.
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    sts.reset();
    assumeRole.reset();
    sts.on(GetCallerIdentityCommand).resolves({
      Account: '111111111111',
      Arn: 'arn:aws-us-gov:sts::111111111111:assumed-role/scanner/pod',
      UserId: 'AROAEXAMPLE:pod',
    });
    build();
  });

  afterEach(async () => {
    await sut.onModuleDestroy();
  });

  describe('callerIdentity', () => {
    it("reads the service's account, ARN and partition once per process, concurrent first callers included", async () => {
      const answers = await Promise.all([sut.callerIdentity(), sut.callerIdentity()]);
      await sut.callerIdentity();
      expect(answers[0]).toEqual({
        accountId: '111111111111',
        arn: 'arn:aws-us-gov:sts::111111111111:assumed-role/scanner/pod',
        partition: 'aws-us-gov',
      });
      expect(answers[1]).toEqual(answers[0]);
      expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    });

    it('throws CALLER_IDENTITY_UNAVAILABLE without the AWS message, and asks again next time', async () => {
      sts
        .on(GetCallerIdentityCommand)
        .rejectsOnce(awsError('ExpiredToken', 403))
        .resolves({ Account: '111111111111', Arn: 'arn:aws:sts::111111111111:assumed-role/scanner/pod' });
      const err = await sut.callerIdentity().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AccountsException);
      expect(err).toMatchObject({
        code: AccountsErrorCode.CallerIdentityUnavailable,
        action: 'GetCallerIdentity',
        awsErrorName: 'ExpiredToken',
        message: 'STS did not tell the service its own account (GetCallerIdentity: ExpiredToken, HTTP 403)',
      });
      await expect(sut.callerIdentity()).resolves.toMatchObject({ accountId: '111111111111' });
      expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 2);
    });

    it('refuses an answer without an account or ARN', async () => {
      sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111' });
      await expect(sut.callerIdentity()).rejects.toMatchObject({ code: AccountsErrorCode.CallerIdentityUnavailable });
    });
  });

  describe('roleCredentials', () => {
    it("assumes ACCOUNT_ROLE_NAME in the caller's partition with the session name, and no ExternalId when unset", async () => {
      assumeRole.on(NestedAssumeRoleCommand).resolves(session(1));
      await expect(sut.roleCredentials('222222222222')()).resolves.toMatchObject({
        accessKeyId: 'ASIA0000000000000001',
        secretAccessKey: 'secret-1',
        sessionToken: 'token-1',
      });
      expect(assumeRole).toHaveReceivedCommandTimes(NestedAssumeRoleCommand, 1);
      const input = assumeRole.commandCalls(NestedAssumeRoleCommand)[0].args[0].input;
      expect(input).toEqual({
        RoleArn: 'arn:aws-us-gov:iam::222222222222:role/IamKeyMonitorReadOnly',
        RoleSessionName: 'iam-key-monitor',
      });
    });

    it('passes ACCOUNT_ROLE_EXTERNAL_ID and ACCOUNT_ROLE_SESSION_NAME when set', async () => {
      build({ ...ROLE, ACCOUNT_ROLE_EXTERNAL_ID: 'shared-secret-42', ACCOUNT_ROLE_SESSION_NAME: 'audit@prod' });
      assumeRole.on(NestedAssumeRoleCommand).resolves(session(1));
      await sut.roleCredentials('333333333333')();
      expect(assumeRole).toHaveReceivedCommandWith(NestedAssumeRoleCommand, {
        RoleArn: 'arn:aws-us-gov:iam::333333333333:role/IamKeyMonitorReadOnly',
        RoleSessionName: 'audit@prod',
        ExternalId: 'shared-secret-42',
      });
    });

    it('creates one provider per account, whose session every caller shares until it nears expiry', async () => {
      assumeRole.on(NestedAssumeRoleCommand).resolvesOnce(session(1)).resolvesOnce(session(2)).resolves(session(3));
      const provider = sut.roleCredentials('222222222222');
      expect(sut.roleCredentials('222222222222')).toBe(provider);
      expect(sut.roleCredentials('444444444444')).not.toBe(provider);

      const first = await Promise.all([provider(), provider(), provider()]);
      expect(first.map((c) => c.accessKeyId)).toEqual(Array(3).fill('ASIA0000000000000001'));
      expect((await sut.roleCredentials('222222222222')()).accessKeyId).toBe('ASIA0000000000000001');
      expect(assumeRole).toHaveReceivedCommandTimes(NestedAssumeRoleCommand, 1);

      // 5 minutes before the hour is up, the next caller gets a fresh session.
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now + HOUR_MS - 299_000);
      expect((await provider()).accessKeyId).toBe('ASIA0000000000000002');
      expect(assumeRole).toHaveReceivedCommandTimes(NestedAssumeRoleCommand, 2);
    });

    it('refreshes a short session at three quarters of its life, not on every call', async () => {
      assumeRole.on(NestedAssumeRoleCommand).resolvesOnce(session(1, 2_000)).resolves(session(2, 2_000));
      const provider = sut.roleCredentials('222222222222');
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
      expect((await provider()).accessKeyId).toBe('ASIA0000000000000001');
      clock.mockReturnValue(now + 1_000);
      expect((await provider()).accessKeyId).toBe('ASIA0000000000000001');
      clock.mockReturnValue(now + 1_600);
      expect((await provider()).accessKeyId).toBe('ASIA0000000000000002');
      expect(assumeRole).toHaveReceivedCommandTimes(NestedAssumeRoleCommand, 2);
    });

    it('turns a denied AssumeRole into ACCOUNT_ACCESS_DENIED naming the account, and tries again next time', async () => {
      assumeRole.on(NestedAssumeRoleCommand).rejectsOnce(awsError('AccessDenied', 403)).resolves(session(2));
      const provider = sut.roleCredentials('222222222222');
      const err = await provider().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AccountsException);
      expect(err).toMatchObject({
        code: AccountsErrorCode.AccountAccessDenied,
        action: 'AssumeRole',
        accountId: '222222222222',
        awsErrorName: 'AccessDenied',
        message: 'AssumeRole of IamKeyMonitorReadOnly in account 222222222222 was denied',
      });
      expect((await provider()).accessKeyId).toBe('ASIA0000000000000002');
    });

    it('turns other AssumeRole failures into ACCOUNT_CREDENTIALS_UNAVAILABLE, throttling with a retry hint', async () => {
      assumeRole
        .on(NestedAssumeRoleCommand)
        .rejectsOnce(awsError('Throttling', 400))
        .rejectsOnce(awsError('RegionDisabledException', 403));
      const provider = sut.roleCredentials('222222222222');
      await expect(provider()).rejects.toMatchObject({
        code: AccountsErrorCode.AccountCredentialsUnavailable,
        action: 'AssumeRole',
        accountId: '222222222222',
        retryAfterSeconds: 30,
        message: 'AssumeRole of IamKeyMonitorReadOnly in account 222222222222 failed (Throttling, HTTP 400)',
      });
      await expect(provider()).rejects.toMatchObject({
        code: AccountsErrorCode.AccountCredentialsUnavailable,
        retryAfterSeconds: undefined,
        message:
          'AssumeRole of IamKeyMonitorReadOnly in account 222222222222 failed (RegionDisabledException, HTTP 403)',
      });
    });

    it('never logs the credentials it obtains', async () => {
      const lines: unknown[] = [];
      for (const level of ['log', 'debug', 'verbose', 'warn', 'error'] as const) {
        jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => void lines.push(...args));
      }
      assumeRole.on(NestedAssumeRoleCommand).resolves(session(7));
      await sut.roleCredentials('222222222222')();
      expect(JSON.stringify(lines)).not.toMatch(/ASIA0000000000000007|secret-7|token-7/);
    });

    it('refuses an account id that is not 12 digits', () => {
      expect(() => sut.roleCredentials('2222')).toThrow('Not an AWS account id: "2222"');
    });

    it('has no role to assume in self mode', async () => {
      build({});
      expect(() => sut.roleCredentials('222222222222')).toThrow(/ACCOUNT_ROLE_NAME is not set/);
      await expect(sut.callerIdentity()).resolves.toMatchObject({ accountId: '111111111111' });
    });
  });

  it('destroys its client on shutdown', async () => {
    await sut.callerIdentity();
    const destroy = jest.spyOn(STSClient.prototype, 'destroy');
    await sut.onModuleDestroy();
    expect(destroy).toHaveBeenCalledTimes(1);
  });
});
