import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  paginateListUsers,
  type IAMClientConfig,
} from '@aws-sdk/client-iam';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { setTimeout as sleep } from 'node:timers/promises';
import { CREDENTIAL_REPORT_COLUMNS } from './credential-report.csv';
import { parseCsv } from './csv.testing';
import { IamAccount } from './iam-account.model';
import { IamEmulator } from './iam-emulator.server';
import type { IamEmulatorOptions } from './iam-emulator.types';
import { seedAccount } from './seed-account';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

interface SdkError {
  name: string;
  Code?: string;
  message: string;
  $metadata: { httpStatusCode?: number; attempts?: number };
}

async function errorOf(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the call to fail');
}

describe(IamEmulator.name, () => {
  let sut: IamEmulator;
  let endpoint: string;
  const clients: { destroy(): void }[] = [];

  async function startEmulator(options: IamEmulatorOptions): Promise<void> {
    sut = new IamEmulator(options);
    endpoint = await sut.start(0, '127.0.0.1');
  }

  function iam(config: Partial<IAMClientConfig> = {}): IAMClient {
    const client = new IAMClient({
      endpoint,
      region: 'us-east-1',
      credentials: CREDENTIALS,
      maxAttempts: 1,
      ...config,
    });
    clients.push(client);
    return client;
  }

  function ses(): SESv2Client {
    const client = new SESv2Client({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    clients.push(client);
    return client;
  }

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.destroy());
    await sut.stop();
  });

  describe('IAM listing', () => {
    beforeEach(() => startEmulator({ account: seedAccount({ seed: 42, users: 53 }) }));

    it('answers unsigned requests with 403 MissingAuthenticationToken in Query XML', async () => {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=ListUsers&Version=2010-05-08',
      });
      const body = await res.text();

      expect(res.status).toBe(403);
      expect(body).toContain('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">');
      expect(body).toContain('<Type>Sender</Type><Code>MissingAuthenticationToken</Code>');
    });

    it('pages ListUsers through the SDK paginator, every user exactly once, in name order', async () => {
      const names: string[] = [];
      for await (const page of paginateListUsers({ client: iam(), pageSize: 7 }, {})) {
        names.push(...(page.Users ?? []).map((u) => u.UserName ?? ''));
      }

      expect(names).toEqual(sut.account.listUsers().map((u) => u.userName));
      expect(new Set(names).size).toBe(53);
      expect(sut.counters.requests.ListUsers).toBe(8);
    });

    it('returns user fields as IAM does and honours MaxItems with IsTruncated', async () => {
      const out = await iam().send(new ListUsersCommand({ MaxItems: 2 }));
      const first = sut.account.listUsers()[0];

      expect(out.IsTruncated).toBe(true);
      expect(out.Marker).toEqual(expect.any(String));
      expect(out.Users).toHaveLength(2);
      expect(out.Users?.[0]).toMatchObject({
        Path: first.path,
        UserName: first.userName,
        UserId: first.userId,
        Arn: `arn:aws:iam::111111111111:user${first.path}${first.userName}`,
        CreateDate: first.createDate,
      });
    });

    it('defaults to 100 users a page and rejects MaxItems above 1000', async () => {
      sut.account.addUser({ userName: 'extra' });
      for (let i = 0; i < 60; i++) {
        sut.account.addUser({ userName: `bulk-${i}` });
      }

      const out = await iam().send(new ListUsersCommand({}));
      const err = await errorOf(iam().send(new ListUsersCommand({ MaxItems: 1001 })));

      expect(out.Users).toHaveLength(100);
      expect(out.IsTruncated).toBe(true);
      expect(err.name).toBe('ValidationError');
      expect(err.$metadata.httpStatusCode).toBe(400);
    });

    it('lists access keys with paging, and NoSuchEntity for an unknown user', async () => {
      const user = sut.account.listUsers().find((u) => u.accessKeys.length === 2);
      if (!user) {
        throw new Error('seed 42 should give someone two keys');
      }
      const client = iam();

      const page1 = await client.send(new ListAccessKeysCommand({ UserName: user.userName, MaxItems: 1 }));
      const page2 = await client.send(
        new ListAccessKeysCommand({ UserName: user.userName, MaxItems: 1, Marker: page1.Marker }),
      );
      const err = await errorOf(client.send(new ListAccessKeysCommand({ UserName: 'nobody' })));

      expect(page1.IsTruncated).toBe(true);
      expect(page2.IsTruncated).toBe(false);
      expect([...(page1.AccessKeyMetadata ?? []), ...(page2.AccessKeyMetadata ?? [])]).toEqual(
        user.accessKeys.map((k) => ({
          UserName: user.userName,
          AccessKeyId: k.accessKeyId,
          Status: k.status,
          CreateDate: k.createDate,
        })),
      );
      expect(err).toMatchObject({ name: 'NoSuchEntityException', Code: 'NoSuchEntity' });
      expect(err.$metadata.httpStatusCode).toBe(404);
      expect(err.message).toBe('The user with name nobody cannot be found.');
    });

    it('lists user tags and tells when a key was last used', async () => {
      sut.account.addUser({
        userName: 'tagged',
        tags: { email: 'x@example.com', team: 'data & <ops>' },
        accessKeys: [
          {
            accessKeyId: 'AKIAUSEDUSEDUSEDUSED',
            lastUsed: { date: new Date('2026-01-01T00:00:00Z'), serviceName: 's3', region: 'eu-west-1' },
          },
          { accessKeyId: 'AKIANEVERNEVERNEVERN' },
        ],
      });
      const client = iam();

      const tags = await client.send(new ListUserTagsCommand({ UserName: 'tagged' }));
      const used = await client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIAUSEDUSEDUSEDUSED' }));
      const never = await client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIANEVERNEVERNEVERN' }));
      const noUser = await errorOf(client.send(new ListUserTagsCommand({ UserName: 'nobody' })));

      expect(tags.Tags).toEqual([
        { Key: 'email', Value: 'x@example.com' },
        { Key: 'team', Value: 'data & <ops>' },
      ]);
      expect(used.UserName).toBe('tagged');
      expect(used.AccessKeyLastUsed).toEqual({
        LastUsedDate: new Date('2026-01-01T00:00:00Z'),
        ServiceName: 's3',
        Region: 'eu-west-1',
      });
      expect(never.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
      expect(noUser.name).toBe('NoSuchEntityException');
    });

    it('answers GetAccessKeyLastUsed as IAM: N/A when never used, NoSuchEntity for a key it does not hold, counted', async () => {
      const twoKeys = sut.account.listUsers().find((u) => u.accessKeys.length === 2)!;
      const client = iam();

      const answers = await Promise.all(
        twoKeys.accessKeys.map((k) => client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.accessKeyId }))),
      );
      const unknown = await errorOf(
        client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIANOSUCHKEYNOSUCHK' })),
      );
      const missing = await errorOf(client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: undefined })));

      expect(answers.map((a) => [a.UserName, a.AccessKeyLastUsed])).toEqual(
        twoKeys.accessKeys.map((k) => [
          twoKeys.userName,
          k.lastUsed
            ? { LastUsedDate: k.lastUsed.date, ServiceName: k.lastUsed.serviceName, Region: k.lastUsed.region }
            : { ServiceName: 'N/A', Region: 'N/A' },
        ]),
      );
      expect(unknown).toMatchObject({ name: 'NoSuchEntityException', Code: 'NoSuchEntity' });
      expect(unknown.$metadata.httpStatusCode).toBe(404);
      expect(unknown.message).toBe('The Access Key with id AKIANOSUCHKEYNOSUCHK cannot be found.');
      expect(missing.name).toBe('ValidationError');
      expect(sut.counters.requests.GetAccessKeyLastUsed).toBe(4);
      expect(sut.counters.errors).toEqual({ NoSuchEntity: 1, ValidationError: 1 });
    });

    it('lets a user vanish between ListUsers and ListAccessKeys', async () => {
      const victim = sut.account.listUsers()[0].userName;
      sut.faults.vanishingUsers.add(victim);
      const client = iam();

      const listed = await client.send(new ListUsersCommand({ MaxItems: 1 }));
      const err = await errorOf(client.send(new ListAccessKeysCommand({ UserName: victim })));

      expect(listed.Users?.[0].UserName).toBe(victim);
      expect(err.name).toBe('NoSuchEntityException');
      expect(sut.account.getUser(victim)).toBeUndefined();
    });

    it('answers AccessDenied for the chosen actions only', async () => {
      sut.faults.accessDenied.add('ListAccessKeys');
      const client = iam();

      const err = await errorOf(client.send(new ListAccessKeysCommand({ UserName: 'svc-0001' })));
      const users = await client.send(new ListUsersCommand({ MaxItems: 1 }));

      expect(err).toMatchObject({ name: 'AccessDenied', Code: 'AccessDenied' });
      expect(err.$metadata.httpStatusCode).toBe(403);
      expect(users.Users).toHaveLength(1);
    });
  });

  describe('credential report', () => {
    const generate = async (client: IAMClient) => (await client.send(new GenerateCredentialReportCommand({}))).State;
    const getReport = (client: IAMClient) => client.send(new GetCredentialReportCommand({}));
    const csvOf = async (client: IAMClient) =>
      parseCsv(Buffer.from((await getReport(client)).Content ?? []).toString());

    it('goes STARTED, INPROGRESS, COMPLETE, with the matching GetCredentialReport errors', async () => {
      await startEmulator({ account: seedAccount({ seed: 5, users: 4, rootAccessKeys: true }), reportDelayMs: 150 });
      const client = iam();

      const notPresent = await errorOf(getReport(client));
      const states = [await generate(client), await generate(client)];
      const inProgress = await errorOf(getReport(client));
      await sleep(200);
      states.push(await generate(client));
      const report = await getReport(client);
      const [header, ...rows] = parseCsv(Buffer.from(report.Content ?? []).toString());

      expect(notPresent).toMatchObject({ name: 'CredentialReportNotPresentException', Code: 'ReportNotPresent' });
      expect(notPresent.$metadata.httpStatusCode).toBe(410);
      expect(states).toEqual(['STARTED', 'INPROGRESS', 'COMPLETE']);
      expect(inProgress).toMatchObject({ name: 'CredentialReportNotReadyException', Code: 'ReportInProgress' });
      expect(inProgress.$metadata.httpStatusCode).toBe(404);
      expect(report.ReportFormat).toBe('text/csv');
      expect(report.GeneratedTime).toBeInstanceOf(Date);
      expect(header).toEqual([...CREDENTIAL_REPORT_COLUMNS]);
      expect(rows.map((r) => r[0])).toEqual(['<root_account>', ...sut.account.listUsers().map((u) => u.userName)]);
      expect(rows[0][1]).toBe('arn:aws:iam::111111111111:root');
      expect(rows[0][9]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    });

    it('completes at once when there is no delay', async () => {
      await startEmulator({});
      const client = iam();

      expect([await generate(client), await generate(client)]).toEqual(['STARTED', 'COMPLETE']);
      expect((await csvOf(client)).map((row) => row[0])).toEqual(['user', '<root_account>']);
    });

    it('is a snapshot: changes show only after the report expires and is generated again', async () => {
      const account = new IamAccount();
      account.addUser({ userName: 'ann', createDate: new Date('2025-01-01T00:00:00Z') });
      await startEmulator({ account });
      const client = iam();
      await generate(client);
      await generate(client);

      account.addAccessKey('ann', { createDate: new Date('2025-02-03T04:05:06Z') });
      const before = await csvOf(client);
      const stillFresh = await generate(client);
      sut.expireCredentialReport();
      const expired = await errorOf(getReport(client));
      const restarted = await generate(client);
      const after = await csvOf(client);

      expect(before[2].slice(0, 1).concat(before[2].slice(8, 10))).toEqual(['ann', 'false', 'N/A']);
      expect(stillFresh).toBe('COMPLETE');
      expect(expired).toMatchObject({ name: 'CredentialReportExpiredException', Code: 'ReportExpired' });
      expect(expired.$metadata.httpStatusCode).toBe(410);
      expect(restarted).toBe('STARTED');
      expect(after[2].slice(8, 10)).toEqual(['true', '2025-02-03T04:05:06+00:00']);
    });

    it('expires once older than reportTtlMs', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      await startEmulator({ reportTtlMs: 60_000, clock: () => now });
      const client = iam();
      await generate(client);
      const report = await getReport(client);

      now += 60_000;
      const expired = await errorOf(getReport(client));

      expect(report.GeneratedTime).toEqual(new Date('2026-01-01T00:00:00Z'));
      expect(expired.Code).toBe('ReportExpired');
    });

    it('never completes while the fault is on', async () => {
      await startEmulator({ faults: { reportNeverCompletes: true } });
      const client = iam();

      const states = [await generate(client), await generate(client), await generate(client)];
      const inProgress = await errorOf(getReport(client));
      sut.faults.reportNeverCompletes = false;

      expect(states).toEqual(['STARTED', 'INPROGRESS', 'INPROGRESS']);
      expect(inProgress.Code).toBe('ReportInProgress');
      expect(await generate(client)).toBe('COMPLETE');
    });
  });

  describe('load and faults', () => {
    it('throttles beyond the shared token bucket with the SDK error Throttling', async () => {
      await startEmulator({ account: seedAccount({ seed: 1, users: 3 }), rateLimit: { ratePerSecond: 1, burst: 3 } });
      const client = iam();

      const results: PromiseSettledResult<unknown>[] = [];
      for (const action of ['ListUsers', 'ListUsers', 'ListUserTags', 'ListUsers', 'ListUserTags']) {
        const call =
          action === 'ListUsers'
            ? client.send(new ListUsersCommand({}))
            : client.send(new ListUserTagsCommand({ UserName: 'svc-0001' }));
        results.push(...(await Promise.allSettled([call])));
      }
      const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r.reason as SdkError).name);

      expect(rejected).toEqual(['Throttling', 'Throttling']);
      expect(sut.counters.requests).toEqual({ ListUsers: 3, ListUserTags: 2 });
      expect(sut.counters.throttled).toEqual({ ListUsers: 1, ListUserTags: 1 });
      expect(sut.counters.errors).toEqual({ Throttling: 2 });
    });

    it('counts the peak number of IAM requests in flight', async () => {
      await startEmulator({ account: seedAccount({ seed: 1, users: 3 }), latencyMs: [40, 60], seed: 9 });
      const client = iam();

      await Promise.all(Array.from({ length: 8 }, () => client.send(new ListUsersCommand({}))));

      expect(sut.counters.peakInFlight).toBe(8);
      expect(sut.counters.inFlight).toBe(0);
      const { latency } = sut.counters;
      expect(latency.answered).toBe(8);
      expect(latency.drawnMs).toBeGreaterThanOrEqual(8 * 40);
      expect(latency.drawnMs).toBeLessThanOrEqual(8 * 60);
      // Held from arrival to answer; a Node timer can fire a little early on a busy loop, never by 3 ms.
      expect(latency.deliveredMs).toBeGreaterThan(latency.drawnMs - 8 * 3);
      sut.resetCounters();
      expect(sut.counters).toEqual({
        requests: {},
        throttled: {},
        errors: {},
        totalIamRequests: 0,
        totalErrors: 0,
        inFlight: 0,
        peakInFlight: 0,
        latency: { answered: 0, drawnMs: 0, deliveredMs: 0 },
      });
    });

    it('fails the next requests with 5xx, which the SDK retries', async () => {
      await startEmulator({ account: seedAccount({ seed: 1, users: 3 }) });
      sut.failNextRequests(2, 503);

      const out = await iam({ maxAttempts: 3 }).send(new ListUsersCommand({}));

      expect(out.Users).toHaveLength(3);
      expect(out.$metadata.attempts).toBe(3);
      expect(sut.counters.errors).toEqual({ ServiceUnavailable: 2 });
      expect(sut.counters.requests.ListUsers).toBe(3);
    });

    it('holds the chosen actions unanswered until the client gives up, and answers again once lifted', async () => {
      await startEmulator({ account: seedAccount({ seed: 1, users: 3 }), faults: { hang: new Set(['ListUsers']) } });
      const client = iam();

      const held = client.send(new ListUsersCommand({}), { abortSignal: AbortSignal.timeout(300) });
      const other = await client.send(new ListAccessKeysCommand({ UserName: sut.account.listUsers()[0].userName }));
      const err = await errorOf(held);

      expect(err.name).toBe('AbortError');
      expect(other.AccessKeyMetadata).toBeDefined();
      expect(sut.counters.requests).toEqual({ ListUsers: 1, ListAccessKeys: 1 });
      await sleep(50); // the aborted request's connection closes on the emulator's side too
      expect(sut.counters.inFlight).toBe(0);

      sut.faults.hang.delete('ListUsers');
      expect((await client.send(new ListUsersCommand({}))).Users).toHaveLength(3);
    });

    it('holds SendEmail too', async () => {
      await startEmulator({ faults: { hang: new Set(['SendEmail']) } });
      const send = ses().send(
        new SendEmailCommand({
          FromEmailAddress: 'a@example.com',
          Destination: { ToAddresses: ['b@example.com'] },
          Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
        }),
        { abortSignal: AbortSignal.timeout(300) },
      );

      expect((await errorOf(send)).name).toBe('AbortError');
      expect(sut.sentEmails).toEqual([]);
    });

    it('reports ServiceFailure when the burst outlasts the retries', async () => {
      await startEmulator({ faults: { serverErrors: { count: 5, status: 500 } } });

      const err = await errorOf(iam().send(new ListUsersCommand({})));

      expect(err).toMatchObject({ name: 'ServiceFailureException', Code: 'ServiceFailure' });
      expect(err.$metadata.httpStatusCode).toBe(500);
      expect(sut.faults.serverErrors.count).toBe(4);
    });
  });

  describe('SES v2 SendEmail', () => {
    beforeEach(() => startEmulator({}));

    it('captures simple and raw messages', async () => {
      const client = ses();

      const out = await client.send(
        new SendEmailCommand({
          FromEmailAddress: 'keys@example.com',
          Destination: { ToAddresses: ['ann@example.com'], CcAddresses: ['sec@example.com'] },
          Content: {
            Simple: {
              Subject: { Data: 'Old key' },
              Body: { Text: { Data: 'rotate' }, Html: { Data: '<b>rotate</b>' } },
            },
          },
        }),
      );
      await client.send(
        new SendEmailCommand({
          Content: {
            Raw: {
              Data: Buffer.from('From: keys@example.com\r\nTo: bob@example.com\r\nSubject: Raw one\r\n\r\nbody'),
            },
          },
        }),
      );

      expect(out.MessageId).toEqual(sut.sentEmails[0].messageId);
      expect(sut.sentEmails[0]).toMatchObject({
        from: 'keys@example.com',
        to: ['ann@example.com'],
        cc: ['sec@example.com'],
        bcc: [],
        subject: 'Old key',
        text: 'rotate',
        html: '<b>rotate</b>',
      });
      expect(sut.sentEmails[1]).toMatchObject({
        from: 'keys@example.com',
        to: ['bob@example.com'],
        subject: 'Raw one',
      });
      expect(sut.sentEmails[1].raw).toContain('\r\n\r\nbody');
      expect(sut.counters.requests.SendEmail).toBe(2);
    });

    it('rejects chosen recipients and throttles on demand', async () => {
      sut.faults.rejectRecipients.add('Bad@Example.com');
      sut.faults.throttleSendEmail = 1;
      const client = ses();
      const send = (to: string) =>
        client.send(
          new SendEmailCommand({
            FromEmailAddress: 'keys@example.com',
            Destination: { ToAddresses: [to] },
            Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
          }),
        );

      const throttled = await errorOf(send('ok@example.com'));
      const rejected = await errorOf(send('bad@example.com'));
      await send('ok@example.com');

      expect(throttled.name).toBe('TooManyRequestsException');
      expect(throttled.$metadata.httpStatusCode).toBe(429);
      expect(rejected.name).toBe('MessageRejected');
      expect(rejected.$metadata.httpStatusCode).toBe(400);
      expect(sut.sentEmails.map((e) => e.to)).toEqual([['ok@example.com']]);
      expect(sut.counters.throttled).toEqual({ SendEmail: 1 });
    });
  });
});
