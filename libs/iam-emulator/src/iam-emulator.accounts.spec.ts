import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListUsersCommand,
  paginateListUsers,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type Credentials } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { setTimeout as sleep } from 'node:timers/promises';
import { EMULATOR_AWS_ENV } from './emulator-env';
import { DEFAULT_ACCOUNT_ID, IamAccount } from './iam-account.model';
import { IamEmulator } from './iam-emulator.server';
import type { EmulatedOrganization, IamEmulatorOptions } from './iam-emulator.types';
import { seedAccount } from './seed-account';
import { seededMemberAccountId, seedOrganization } from './seed-organization';

const REGION = EMULATOR_AWS_ENV.AWS_REGION;
const BASE = {
  accessKeyId: EMULATOR_AWS_ENV.AWS_ACCESS_KEY_ID,
  secretAccessKey: EMULATOR_AWS_ENV.AWS_SECRET_ACCESS_KEY,
};
const ROLE = 'IamKeyMonitorReadOnly';
const MANAGEMENT = DEFAULT_ACCOUNT_ID;
const MEMBER_A = seededMemberAccountId(1);
const MEMBER_B = seededMemberAccountId(2);
const SUSPENDED = seededMemberAccountId(3);
const NOW = new Date('2026-03-01T00:00:00Z');

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

const roleArn = (accountId: string, role = ROLE) => `arn:aws:iam::${accountId}:role/${role}`;

function asIdentity(credentials: Credentials | undefined): AwsCredentialIdentity {
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
    throw new Error('AssumeRole gave no credentials');
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
  };
}

describe(`${IamEmulator.name} accounts and STS`, () => {
  let sut: IamEmulator;
  let endpoint: string;
  let org: EmulatedOrganization;
  let clock: number;
  const clients: { destroy(): void }[] = [];

  async function startEmulator(options: IamEmulatorOptions): Promise<void> {
    sut = new IamEmulator(options);
    endpoint = await sut.start(0, '127.0.0.1');
  }

  function track<T extends { destroy(): void }>(client: T): T {
    clients.push(client);
    return client;
  }

  const sts = (credentials: AwsCredentialIdentity = BASE) =>
    track(new STSClient({ endpoint, region: REGION, credentials, maxAttempts: 1 }));
  const iam = (credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider = BASE) =>
    track(new IAMClient({ endpoint, region: REGION, credentials, maxAttempts: 1 }));

  async function assume(accountId: string, extra: { ExternalId?: string } = {}): Promise<AwsCredentialIdentity> {
    const out = await sts().send(
      new AssumeRoleCommand({ RoleArn: roleArn(accountId), RoleSessionName: 'iam-key-monitor', ...extra }),
    );
    return asIdentity(out.Credentials);
  }

  async function userNames(client: IAMClient): Promise<string[]> {
    const names: string[] = [];
    for await (const page of paginateListUsers({ client, pageSize: 4 }, {})) {
      names.push(...(page.Users ?? []).map((user) => user.UserName ?? ''));
    }
    return names;
  }

  beforeEach(() => {
    clock = NOW.getTime();
    org = seedOrganization({ seed: 3, accounts: 4, usersPerAccount: (i) => 5 + i, suspended: 1, now: NOW });
  });

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.destroy());
    await sut.stop();
  });

  describe('in an organization', () => {
    beforeEach(() => startEmulator({ organization: org, clock: () => clock }));

    it('says the base credentials are the management account', async () => {
      const out = await sts().send(new GetCallerIdentityCommand({}));

      expect(out).toMatchObject({ Account: MANAGEMENT, Arn: `arn:aws:iam::${MANAGEMENT}:user/emulator` });
      expect(out.UserId).toMatch(/^AIDA[0-9A-F]{17}$/);
      expect(sut.account).toBe(org.accounts[0].account);
    });

    it('issues temporary credentials for a member role, and IAM calls with them land in that account only', async () => {
      const out = await sts().send(
        new AssumeRoleCommand({ RoleArn: roleArn(MEMBER_A), RoleSessionName: 'scan-1', DurationSeconds: 900 }),
      );
      const member = asIdentity(out.Credentials);

      const identity = await sts(member).send(new GetCallerIdentityCommand({}));
      const names = await userNames(iam(member));

      expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
      expect(out.Credentials?.Expiration).toEqual(new Date(NOW.getTime() + 900_000));
      expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER_A}:assumed-role/${ROLE}/scan-1`);
      expect(identity).toMatchObject({
        Account: MEMBER_A,
        Arn: `arn:aws:sts::${MEMBER_A}:assumed-role/${ROLE}/scan-1`,
      });
      expect(identity.UserId).toMatch(/^AROA[0-9A-F]{17}:scan-1$/);
      expect(names).toEqual(
        sut
          .iamAccount(MEMBER_A)
          .listUsers()
          .map((user) => user.userName),
      );
      expect(names).toHaveLength(6);
      expect(sut.countersFor(MEMBER_A).requests).toEqual({ AssumeRole: 1, GetCallerIdentity: 1, ListUsers: 2 });
      expect(sut.countersFor(MEMBER_A).totalIamRequests).toBe(2);
      expect(sut.countersFor(MANAGEMENT).requests).toEqual({});
      expect(sut.countersFor(MEMBER_B).requests).toEqual({});
      expect(sut.counters.requests).toEqual({ AssumeRole: 1, GetCallerIdentity: 1, ListUsers: 2 });
    });

    it('names the member account in ARNs and in its own credential report', async () => {
      const member = iam(await assume(MEMBER_B));

      const users = await member.send(new ListUsersCommand({}));
      await member.send(new GenerateCredentialReportCommand({}));
      const report = await member.send(new GetCredentialReportCommand({}));
      const managementReport = await errorOf(iam().send(new GetCredentialReportCommand({})));

      expect(users.Users?.every((user) => user.Arn?.startsWith(`arn:aws:iam::${MEMBER_B}:user/`))).toBe(true);
      expect(Buffer.from(report.Content ?? new Uint8Array()).toString()).toContain(`arn:aws:iam::${MEMBER_B}:root`);
      expect(managementReport.name).toBe('CredentialReportNotPresentException');
    });

    it("answers GetAccessKeyLastUsed from the signing account's own keys, counted there", async () => {
      const memberKey = sut.iamAccount(MEMBER_A).addAccessKey(sut.iamAccount(MEMBER_A).listUsers()[0].userName, {
        lastUsed: { date: new Date('2026-02-01T10:00:00Z'), serviceName: 'sqs', region: 'eu-west-1' },
      });
      const member = iam(await assume(MEMBER_A));

      const used = await member.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: memberKey.accessKeyId }));
      const elsewhere = await errorOf(
        iam().send(new GetAccessKeyLastUsedCommand({ AccessKeyId: memberKey.accessKeyId })),
      );

      expect(used.AccessKeyLastUsed).toEqual({
        LastUsedDate: new Date('2026-02-01T10:00:00Z'),
        ServiceName: 'sqs',
        Region: 'eu-west-1',
      });
      expect(elsewhere).toMatchObject({ name: 'NoSuchEntityException', Code: 'NoSuchEntity' });
      expect(sut.countersFor(MEMBER_A).requests.GetAccessKeyLastUsed).toBe(1);
      expect(sut.countersFor(MANAGEMENT).requests.GetAccessKeyLastUsed).toBe(1);
      expect(sut.countersFor(MANAGEMENT).errors).toEqual({ NoSuchEntity: 1 });
    });

    it('works through the SDK temporary-credentials provider, refreshing only when near expiry', async () => {
      await sut.stop();
      await startEmulator({ organization: org });
      const provider = fromTemporaryCredentials({
        params: { RoleArn: roleArn(MEMBER_A), RoleSessionName: 'iam-key-monitor' },
        masterCredentials: BASE,
        clientConfig: { endpoint, region: REGION, maxAttempts: 1 },
      });
      const client = iam(provider);

      await client.send(new ListUsersCommand({}));
      await client.send(new ListUsersCommand({}));

      expect(sut.countersFor(MEMBER_A).requests).toEqual({ AssumeRole: 1, ListUsers: 2 });
    });

    it('refuses expired temporary credentials with ExpiredToken, and other keys with InvalidClientTokenId', async () => {
      const member = await assume(MEMBER_A);
      await iam(member).send(new ListUsersCommand({}));
      clock += 3600_000;

      const expired = await errorOf(iam(member).send(new ListUsersCommand({})));
      const wrongToken = await errorOf(iam({ ...member, sessionToken: 'forged' }).send(new ListUsersCommand({})));
      const unknown = await errorOf(
        iam({ accessKeyId: 'ASIAUNKNOWNUNKNOWN00', secretAccessKey: 'x', sessionToken: 'y' }).send(
          new ListUsersCommand({}),
        ),
      );

      expect(expired).toMatchObject({ name: 'ExpiredToken', $metadata: { httpStatusCode: 403 } });
      expect(wrongToken).toMatchObject({ name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
      expect(unknown).toMatchObject({ name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
      expect(sut.countersFor(MEMBER_A).requests.ListUsers).toBe(1);
      expect(sut.counters.errors).toEqual({ ExpiredToken: 1, InvalidClientTokenId: 2 });
    });

    it.each([
      ['another role name', { RoleArn: roleArn(MEMBER_A, 'OrganizationAccountAccessRole') }],
      ['an account outside the organization', { RoleArn: roleArn('999999999999') }],
      ['a suspended account', { RoleArn: roleArn(SUSPENDED) }],
    ])('denies AssumeRole of %s', async (_case, input) => {
      const err = await errorOf(sts().send(new AssumeRoleCommand({ RoleSessionName: 'iam-key-monitor', ...input })));

      expect(err).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      expect(err.message).toBe(
        `User: arn:aws:iam::${MANAGEMENT}:user/emulator is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
      );
    });

    it('denies AssumeRole into the accounts chosen, counted there, and nowhere else', async () => {
      sut.assumeRoleDenied.add(MEMBER_A);

      const denied = await errorOf(assume(MEMBER_A));
      const allowed = await assume(MEMBER_B);

      expect(denied.name).toBe('AccessDenied');
      expect(allowed.accessKeyId).toMatch(/^ASIA/);
      expect(sut.countersFor(MEMBER_A)).toMatchObject({ requests: { AssumeRole: 1 }, errors: { AccessDenied: 1 } });
      expect(sut.countersFor(MEMBER_B)).toMatchObject({ requests: { AssumeRole: 1 }, errors: {} });
      expect(sut.faults.assumeRoleDenied).toBe(sut.assumeRoleDenied);
    });

    it('rejects a malformed AssumeRole with ValidationError', async () => {
      const badArn = await errorOf(
        sts().send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::12:role/x', RoleSessionName: 'ok-name' })),
      );
      const badDuration = await errorOf(
        sts().send(new AssumeRoleCommand({ RoleArn: roleArn(MEMBER_A), RoleSessionName: 's1', DurationSeconds: 60 })),
      );

      expect(badArn).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
      expect(badDuration.name).toBe('ValidationError');
      expect(badDuration.message).toContain('between 900 and 43200');
    });

    it('keeps rate limits, faults and counters to the account they belong to', async () => {
      await sut.stop();
      org.accounts[1].rateLimit = { ratePerSecond: 0.001, burst: 2 };
      await startEmulator({ organization: org });
      sut.accountFaults(MEMBER_B).accessDenied.add('ListUsers');
      const memberA = iam(await assume(MEMBER_A));
      const memberB = iam(await assume(MEMBER_B));

      const a = await Promise.allSettled([1, 2, 3, 4].map(() => memberA.send(new ListUsersCommand({}))));
      const b = await errorOf(memberB.send(new ListUsersCommand({})));
      const management = await Promise.all([1, 2, 3, 4].map(() => iam().send(new ListUsersCommand({}))));

      expect(a.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
      expect(sut.countersFor(MEMBER_A).throttled).toEqual({ ListUsers: 2 });
      expect(b.name).toBe('AccessDenied');
      expect(b.message).toBe(
        `User: arn:aws:sts::${MEMBER_B}:assumed-role/${ROLE}/iam-key-monitor is not authorized to perform: iam:ListUsers`,
      );
      expect(management).toHaveLength(4);
      expect(sut.countersFor(MANAGEMENT)).toMatchObject({ throttled: {}, errors: {}, totalIamRequests: 4 });
      expect(sut.counters).toMatchObject({ throttled: { ListUsers: 2 }, totalIamRequests: 9, totalErrors: 3 });

      sut.resetCounters();

      expect(sut.countersFor(MEMBER_A).requests).toEqual({});
      expect(sut.counters.totalIamRequests).toBe(0);
    });

    it('holds, fails and serves counters per account', async () => {
      sut.accountFaults(MEMBER_A).hang.add('ListUsers');
      sut.failNextRequests(1, 503, MEMBER_B);
      const memberA = iam(await assume(MEMBER_A));
      const memberB = iam(await assume(MEMBER_B));

      const held = await errorOf(memberA.send(new ListUsersCommand({}), { abortSignal: AbortSignal.timeout(300) }));
      const failed = await errorOf(memberB.send(new ListUsersCommand({})));
      const management = await iam().send(new ListUsersCommand({}));
      const served = (await (await fetch(`${endpoint}/_emulator/counters/${MEMBER_B}`)).json()) as object;

      expect(held.name).toBe('AbortError');
      expect(failed).toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
      expect(management.Users).toHaveLength(5);
      expect(served).toEqual(sut.countersFor(MEMBER_B));
      expect(served).toMatchObject({ requests: { AssumeRole: 1, ListUsers: 1 }, errors: { ServiceUnavailable: 1 } });
      expect(sut.faults.hang.size).toBe(0);
    });

    it('gives each account its own bucket of the emulator-wide rate limit', async () => {
      await sut.stop();
      await startEmulator({ organization: org, rateLimit: { ratePerSecond: 0.001, burst: 2 } });
      const member = iam(await assume(MEMBER_A));

      const results = await Promise.allSettled([
        ...[1, 2, 3].map(() => iam().send(new ListUsersCommand({}))),
        ...[1, 2].map(() => member.send(new ListUsersCommand({}))),
      ]);

      expect(results.map((result) => result.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
    });

    it('remembers at most maxSessions sessions, forgetting the oldest', async () => {
      await sut.stop();
      await startEmulator({ organization: org, maxSessions: 2 });
      const first = await assume(MEMBER_A);
      await assume(MEMBER_A);
      const third = await assume(MEMBER_B);

      const forgotten = await errorOf(iam(first).send(new ListUsersCommand({})));
      const kept = await iam(third).send(new ListUsersCommand({}));

      expect(sut.sessionCount).toBe(2);
      expect(forgotten.name).toBe('InvalidClientTokenId');
      expect(kept.Users).toHaveLength(7);
    });
  });

  describe('with short sessions on the real clock', () => {
    const provider = (): AwsCredentialIdentityProvider =>
      fromTemporaryCredentials({
        params: { RoleArn: roleArn(MEMBER_A), RoleSessionName: 'iam-key-monitor' },
        masterCredentials: BASE,
        clientConfig: { endpoint, region: REGION, maxAttempts: 1 },
      });

    it("sessions under the SDK's five-minute refresh window are assumed again for every call", async () => {
      await startEmulator({ organization: org, sessionTtlSeconds: 2 });
      const client = iam(provider());

      for (let i = 0; i < 3; i++) {
        await client.send(new ListUsersCommand({}));
      }

      expect(sut.countersFor(MEMBER_A).requests.ListUsers).toBe(3);
      expect(sut.countersFor(MEMBER_A).requests.AssumeRole).toBeGreaterThanOrEqual(3);
    });

    it('a session of 302 s is refreshed by the SDK once it is within five minutes of expiry', async () => {
      await startEmulator({ organization: org, sessionTtlSeconds: 302 });
      const client = iam(provider());

      await client.send(new ListUsersCommand({}));
      await client.send(new ListUsersCommand({}));
      const beforeExpiry = sut.countersFor(MEMBER_A).requests.AssumeRole;
      await sleep(2_200);
      await client.send(new ListUsersCommand({}));

      expect(beforeExpiry).toBe(1);
      expect(sut.countersFor(MEMBER_A).requests).toEqual({ AssumeRole: 2, ListUsers: 3 });
    });

    it('credentials used past their expiry get ExpiredToken', async () => {
      await startEmulator({ organization: org, sessionTtlSeconds: 0.3 });
      const member = await assume(MEMBER_A);
      await iam(member).send(new ListUsersCommand({}));
      await sleep(400);

      const err = await errorOf(iam(member).send(new ListUsersCommand({})));

      expect(err.name).toBe('ExpiredToken');
    });
  });

  describe('AssumeRole options', () => {
    it('requires the configured ExternalId and honours the configured role name', async () => {
      await startEmulator({ organization: org, requiredExternalId: 'ext-123', memberRoleName: 'Scanner' });
      const assumeWith = (role: string, externalId?: string) =>
        sts().send(
          new AssumeRoleCommand({ RoleArn: roleArn(MEMBER_A, role), RoleSessionName: 's1', ExternalId: externalId }),
        );

      const missing = await errorOf(assumeWith('Scanner'));
      const wrong = await errorOf(assumeWith('Scanner', 'ext-999'));
      const defaultRole = await errorOf(assumeWith(ROLE, 'ext-123'));
      const ok = await assumeWith('Scanner', 'ext-123');

      expect([missing.name, wrong.name, defaultRole.name]).toEqual(['AccessDenied', 'AccessDenied', 'AccessDenied']);
      expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER_A}:assumed-role/Scanner/s1`);
    });
  });

  describe('with a single account, as before', () => {
    beforeEach(() => startEmulator({ account: seedAccount({ seed: 9, users: 3 }) }));

    it('maps any static key to the default account, and lets it assume its own role', async () => {
      const other = { accessKeyId: 'AKIDANYTHINGATALL000', secretAccessKey: 'x' };

      const identity = await sts(other).send(new GetCallerIdentityCommand({}));
      const names = await userNames(iam(await assume(DEFAULT_ACCOUNT_ID)));

      expect(identity.Account).toBe(DEFAULT_ACCOUNT_ID);
      expect(sut.accountIds).toEqual([DEFAULT_ACCOUNT_ID]);
      expect(names).toEqual(sut.account.listUsers().map((user) => user.userName));
    });
  });

  describe('organization option checks', () => {
    it.each([
      ['account and organization together', () => ({ account: new IamAccount(), organization: org })],
      [
        'an IamAccount of another account',
        () => ({ organization: { ...org, accounts: [{ ...org.accounts[0], id: '999999999999' }] } }),
      ],
      ['a management account outside it', () => ({ organization: { ...org, managementAccountId: '999999999999' } })],
      [
        'an account under an unknown OU',
        () => ({ organization: { ...org, accounts: [{ ...org.accounts[0], parentId: 'ou-0000-missing0' }] } }),
      ],
    ])('refuses %s', (_case, options: () => IamEmulatorOptions) => {
      expect(() => new IamEmulator(options())).toThrow(/IamEmulator takes either|organization: /);
      sut = new IamEmulator();
    });
  });
});
