import { DEFAULT_ACCOUNT_ID, expectedRootKeys, seedAccount, type IamEmulatorOptions } from '@app/iam-emulator';
import { askOldKeys, keyRows, type ErrorBody, type KeyQuery, type Route } from './support/api-client';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { candidateUsers, expectedRows, usersOlderThan, wholeSecondNow } from './support/expected-keys';
import { scrapeMetrics, seriesValue } from './support/prometheus-text';

const SLOW = 30_000;
const ROUTES: Route[] = ['list-users', 'credential-report'];
const EXACT_SCANS = { SCAN_CACHE_TTL_SECONDS: '0' };

describe('IAM faults and costs, exact per-request scans', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 11, users: 200, now: seededAt, rootAccessKeys: 2 });
  const q720: KeyQuery = { hours: 720, includeInactive: false };
  let h: ApiHarness;

  // A fresh app per test: the warm key-id cache would otherwise answer later tests without ListAccessKeys.
  beforeEach(async () => {
    h = await startApiOnEmulator({
      emulator: { account },
      env: { ...EXACT_SCANS, IAM_CONCURRENCY: '10', REPORT_MAX_WAIT_MS: '300' },
    });
  });
  afterEach(() => h?.close());

  it('list-users calls ListAccessKeys only for users at least as old as the threshold', async () => {
    for (const q of [q720, { hours: 8760, includeInactive: true }]) {
      h.emulator.resetCounters();
      const { status, body } = await askOldKeys(h.url, 'list-users', q);
      expect(status).toBe(200);
      expect(keyRows(body)).toEqual(expectedRows(account, q, seededAt));
      expect(body.root_access_keys).toEqual([]);
      const old = usersOlderThan(account, q.hours, seededAt);
      expect(old.length).toBeLessThan(account.userCount);
      expect(h.emulator.counters.requests).toEqual({ ListUsers: 1, ListAccessKeys: old.length });
    }
  });

  it('credential-report calls ListAccessKeys only for the report’s candidates and shows root keys apart', async () => {
    const { status, body } = await askOldKeys(h.url, 'credential-report', q720);
    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(expectedRows(account, q720, seededAt));
    const candidates = candidateUsers(account, q720, seededAt);
    expect(candidates.length).toBeLessThan(usersOlderThan(account, 720, seededAt).length);
    expect(h.emulator.counters.requests).toEqual({
      GenerateCredentialReport: 2, // STARTED, then COMPLETE after one poll
      GetCredentialReport: 1,
      ListAccessKeys: candidates.length,
    });

    const roots = expectedRootKeys(account, { ...q720, now: seededAt });
    expect(roots).toHaveLength(2);
    expect(body.root_access_keys).toEqual(
      roots.map((k) => ({
        account_id: DEFAULT_ACCOUNT_ID,
        slot: k.slot,
        active: k.active,
        last_rotated: k.lastRotated.toISOString(),
        age_hours: expect.any(Number) as number,
      })),
    );
    const ids = body.old_access_keys.map((k) => k.access_key_id);
    for (const rootKey of account.root.accessKeys) {
      expect(ids).not.toContain(rootKey.accessKeyId);
    }
  });

  it.each(ROUTES)(
    '%s: AccessDenied on ListAccessKeys is a 502 naming the action, and stops further calls',
    async (route) => {
      h.emulator.faults.accessDenied.add('ListAccessKeys');
      try {
        const { status, body } = await askOldKeys<ErrorBody>(h.url, route, q720);
        expect(status).toBe(502);
        expect(body).toEqual({
          statusCode: 502,
          error: 'Bad Gateway',
          code: 'IAM_ACCESS_DENIED',
          message: "IAM denied ListAccessKeys to the service's credentials",
          action: 'ListAccessKeys',
          // The one account scanned answers with its own error; the accounts list says which one it was.
          accounts: [
            {
              account_id: DEFAULT_ACCOUNT_ID,
              status: 'failed',
              code: 'IAM_ACCESS_DENIED',
              message: "IAM denied ListAccessKeys to the service's credentials",
              action: 'ListAccessKeys',
            },
          ],
        });
        // Only the calls already started when the first denial came back (at most IAM_CONCURRENCY), no more;
        // how many had started depends on how fast the first sockets connected.
        const denied = h.emulator.counters.requests.ListAccessKeys;
        expect(denied).toBeGreaterThanOrEqual(1);
        expect(denied).toBeLessThanOrEqual(10);
        expect(h.emulator.counters.errors).toEqual({ AccessDenied: denied });
      } finally {
        h.emulator.faults.accessDenied.clear();
      }
    },
  );

  it('a credential report slower than REPORT_MAX_WAIT_MS is a 503 with Retry-After, then answers once ready', async () => {
    h.emulator.discardCredentialReport();
    h.emulator.faults.reportNeverCompletes = true;
    try {
      const { status, headers, body } = await askOldKeys<ErrorBody>(h.url, 'credential-report', q720);
      expect(status).toBe(503);
      expect(headers.get('retry-after')).toBe('5');
      expect(body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'IAM_REPORT_NOT_READY',
        message: expect.stringMatching(/^The credential report was not ready after 0 s/) as string,
        action: 'GetCredentialReport',
        retry_after_seconds: 5,
        accounts: [
          expect.objectContaining({
            account_id: DEFAULT_ACCOUNT_ID,
            status: 'failed',
            code: 'IAM_REPORT_NOT_READY',
            retry_after_seconds: 5,
          }),
        ],
      });
      // It only polled GenerateCredentialReport (how often depends on the clock); nothing was read or resolved.
      expect(h.emulator.counters.requests.GenerateCredentialReport).toBeGreaterThan(1);
      expect(h.emulator.counters.requests.GetCredentialReport).toBeUndefined();
      expect(h.emulator.counters.requests.ListAccessKeys).toBeUndefined();
    } finally {
      h.emulator.faults.reportNeverCompletes = false;
    }
    h.emulator.resetCounters();
    const ready = await askOldKeys(h.url, 'credential-report', q720);
    expect(ready.status).toBe(200);
    expect(keyRows(ready.body)).toEqual(expectedRows(account, q720, seededAt));
    expect(h.emulator.counters.requests).toEqual({
      GenerateCredentialReport: 1,
      GetCredentialReport: 1,
      ListAccessKeys: candidateUsers(account, q720, seededAt).length,
    });
  });

  it('list-users rides out a burst of 500s (SDK retries) with the exact answer', async () => {
    h.emulator.failNextRequests(2, 500);
    const { status, body } = await askOldKeys(h.url, 'list-users', q720);
    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(expectedRows(account, q720, seededAt));
    // Only ListUsers runs before its page arrives, so it takes both failures and succeeds on its third attempt.
    expect(h.emulator.counters.requests).toEqual({
      ListUsers: 3,
      ListAccessKeys: usersOlderThan(account, 720, seededAt).length,
    });
    expect(h.emulator.counters.errors).toEqual({ ServiceFailure: 2 });
  });

  it('credential-report rides out a burst of 503s (SDK retries) with the exact answer', async () => {
    h.emulator.failNextRequests(2, 503);
    const { status, body } = await askOldKeys(h.url, 'credential-report', q720);
    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(expectedRows(account, q720, seededAt));
    expect(h.emulator.counters.requests).toEqual({
      GenerateCredentialReport: 4, // two 503s retried by the SDK, then STARTED, then COMPLETE after one poll
      GetCredentialReport: 1,
      ListAccessKeys: candidateUsers(account, q720, seededAt).length,
    });
    expect(h.emulator.counters.errors).toEqual({ ServiceUnavailable: 2 });
  });
});

describe('users deleted while a scan runs (vanishingUsers)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 12, users: 100, now: seededAt });
  const q: KeyQuery = { hours: 24, includeInactive: true };
  const original = expectedRows(account, q, seededAt);
  const owners = candidateUsers(account, q, seededAt);
  const without = (gone: string[]) => original.filter((row) => !gone.includes(row.split(' ')[0]));
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account }, env: EXACT_SCANS });
  });
  afterAll(() => h?.close());
  beforeEach(() => h.emulator.resetCounters());

  it('credential-report loses only the vanished users’ keys when the report still lists them', async () => {
    expect(owners.length).toBeGreaterThan(6);
    // The first scan of this app: its key-id cache is cold, so every candidate costs a ListAccessKeys call. (A warm
    // cache serves ids while the report shows the same slots, as the warm-report spec checks.)
    const gone = owners.slice(0, 3);
    gone.forEach((name) => h.emulator.faults.vanishingUsers.add(name));
    const { status, body } = await askOldKeys(h.url, 'credential-report', q);
    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(without(gone));
    expect(h.emulator.counters.requests).toEqual({
      GenerateCredentialReport: 2, // STARTED, then COMPLETE after one poll
      GetCredentialReport: 1,
      ListAccessKeys: owners.length, // the report is a snapshot: the vanished users are still candidates
    });
    expect(h.emulator.counters.errors).toEqual({ NoSuchEntity: 3 });
  });

  it('list-users loses only the vanished users’ keys', async () => {
    const before = usersOlderThan(account, q.hours, seededAt);
    const gone = owners.slice(3, 6);
    gone.forEach((name) => h.emulator.faults.vanishingUsers.add(name));
    const { status, body } = await askOldKeys(h.url, 'list-users', q);
    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(without([...owners.slice(0, 3), ...gone]));
    expect(h.emulator.counters.requests).toEqual({ ListUsers: 1, ListAccessKeys: before.length });
    expect(h.emulator.counters.errors).toEqual({ NoSuchEntity: 3 });
  });
});

describe('IAM rate limit (the emulator throttles a good share of calls)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 13, users: 150, now: seededAt });
  const q: KeyQuery = { hours: 0, includeInactive: true };
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      // A burst below IAM_CONCURRENCY throttles the first calls whatever the machine's speed.
      emulator: { account, rateLimit: { ratePerSecond: 100, burst: 5 } },
      env: { ...EXACT_SCANS, IAM_CONCURRENCY: '10' },
    });
  });
  afterAll(() => h?.close());

  it(
    'still returns every key, retrying each throttled call until it succeeds, and counts the throttles in metrics',
    async () => {
      const { status, body } = await askOldKeys(h.url, 'list-users', q);
      expect(status).toBe(200);
      expect(keyRows(body)).toEqual(expectedRows(account, q, seededAt));

      const { requests, throttled, errors } = h.emulator.counters;
      expect(throttled.ListAccessKeys).toBeGreaterThan(0);
      // Every user answered exactly once; every other attempt was a throttle.
      expect(requests.ListUsers - (throttled.ListUsers ?? 0)).toBe(1);
      expect(requests.ListAccessKeys - throttled.ListAccessKeys).toBe(account.userCount);
      expect(errors).toEqual({ Throttling: (throttled.ListUsers ?? 0) + throttled.ListAccessKeys });

      const metrics = await scrapeMetrics(h.metricsUrl);
      expect(
        seriesValue(metrics, 'iam_calls_total', {
          action: 'ListAccessKeys',
          outcome: 'throttled',
          account_id: DEFAULT_ACCOUNT_ID,
        }),
      ).toBe(throttled.ListAccessKeys);
      expect(
        seriesValue(metrics, 'iam_calls_total', {
          action: 'ListAccessKeys',
          outcome: 'ok',
          account_id: DEFAULT_ACCOUNT_ID,
        }),
      ).toBe(account.userCount);
    },
    SLOW,
  );
});

describe('the concurrency bound, with 20 ms of IAM latency so calls pile up', () => {
  const seededAt = wholeSecondNow();
  const latency: Pick<IamEmulatorOptions, 'latencyMs'> = { latencyMs: 20 };
  let h: ApiHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('one ListUsers page: at most IAM_CONCURRENCY calls in flight, and the bound is reached', async () => {
    const account = seedAccount({ seed: 14, users: 60, now: seededAt });
    h = await startApiOnEmulator({
      emulator: { account, ...latency },
      env: { ...EXACT_SCANS, IAM_CONCURRENCY: '4' },
    });
    const q = { hours: 0, includeInactive: false };
    const { status, body } = await askOldKeys(h.url, 'list-users', q);
    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(expectedRows(account, q, seededAt));
    expect(h.emulator.counters.requests).toEqual({ ListUsers: 1, ListAccessKeys: account.userCount });
    // ListUsers has finished before the first ListAccessKeys starts, so only the limiter's calls overlap.
    expect(h.emulator.counters.peakInFlight).toBe(4);
  });

  it(
    'two ListUsers pages: IAM_CONCURRENCY ListAccessKeys calls plus the next page, which is not limited',
    async () => {
      // Nearly every user is younger than 48 h, so a page of 1000 users yields a few dozen calls.
      const account = seedAccount({ seed: 15, users: 1100, now: seededAt, youngUserFraction: 0.97 });
      h = await startApiOnEmulator({
        emulator: { account, ...latency },
        env: { ...EXACT_SCANS, IAM_CONCURRENCY: '4' },
      });
      const q = { hours: 48, includeInactive: true };
      const old = usersOlderThan(account, q.hours, seededAt);
      const onFirstPage = old.filter((name) => account.listUsers().findIndex((u) => u.userName === name) < 1000);
      expect(onFirstPage.length).toBeGreaterThan(4);

      const { status, body } = await askOldKeys(h.url, 'list-users', q);
      expect(status).toBe(200);
      expect(keyRows(body)).toEqual(expectedRows(account, q, seededAt));
      expect(h.emulator.counters.requests).toEqual({ ListUsers: 2, ListAccessKeys: old.length });
      // The strategy starts a page's ListAccessKeys calls and asks for the next page at once.
      expect(h.emulator.counters.peakInFlight).toBe(4 + 1);
    },
    SLOW,
  );
});
