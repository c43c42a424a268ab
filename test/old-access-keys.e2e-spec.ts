import { seedAccount } from '@app/iam-emulator';
import { askOldKeys, keyRows, type KeyQuery, type OldKeysBody } from './support/api-client';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { candidateUsers, expectedRows, usersOlderThan, wholeSecondNow } from './support/expected-keys';

const SLOW = 60_000;
const THRESHOLDS = [0, 24, 720, 8760];
const BOTH_STATUSES = THRESHOLDS.flatMap((hours) => [
  { hours, includeInactive: false },
  { hours, includeInactive: true },
]);

function expectAnswer(body: OldKeysBody, route: string, query: KeyQuery, rows: string[]): void {
  expect(body).toMatchObject({ source: route, hours: query.hours, include_inactive: query.includeInactive });
  expect(keyRows(body)).toEqual(rows);
  expect(body.count).toBe(rows.length);
}

// MaxItems is 1000, so 2001 users take exactly three ListUsers pages. Only every third user keeps
// its keys, so the credential report has a few hundred candidates to resolve rather than 1700.
const seededAt = wholeSecondNow();
const account = seedAccount({ seed: 7, users: 2001, now: seededAt });
account.listUsers().forEach((user, i) => {
  if (i % 3 !== 0) {
    user.accessKeys.map((k) => k.accessKeyId).forEach((id) => account.deleteAccessKey(id));
  }
});

describe('old access keys on a three-page account, shared inventory (default cache TTL)', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account }, env: { IAM_CONCURRENCY: '10' } });
  });
  afterAll(() => h?.close());

  it(
    'answers 50 concurrent list-users requests for 25 thresholds exactly, for the IAM calls of one scan',
    async () => {
      const hours = [0, 24, 30, 48, 60, 72, 120, 168, 240, 336, 500, 720, 1000, 1440, 2160, 3000, 4320, 6000];
      hours.push(8760, 10000, 13000, 17520, 26280, 35040, 43800);
      const queries = hours.flatMap((hrs) => [
        { hours: hrs, includeInactive: false },
        { hours: hrs, includeInactive: true },
      ]);
      expect(queries).toHaveLength(50);

      const before = Date.now();
      const answers = await Promise.all(queries.map((q) => askOldKeys(h.url, 'list-users', q)));
      const after = Date.now();

      answers.forEach(({ status, body }, i) => {
        expect(status).toBe(200);
        expectAnswer(body, 'list-users', queries[i], expectedRows(account, queries[i], seededAt));
        expect(body.root_access_keys).toEqual([]);
      });
      // One full inventory: every ListUsers page and one ListAccessKeys per user, nothing else.
      expect(h.emulator.counters.requests).toEqual({ ListUsers: 3, ListAccessKeys: account.userCount });
      // All 50 were cut from that one read, which happened while they waited.
      const readAt = new Set(answers.map((a) => a.body.data_read_at));
      expect(readAt.size).toBe(1);
      const readAtMs = Date.parse([...readAt][0]);
      expect(readAtMs).toBeGreaterThanOrEqual(before);
      expect(readAtMs).toBeLessThanOrEqual(after);
    },
    SLOW,
  );

  it(
    'answers credential-report requests for each threshold exactly from one report, resolving only its candidates',
    async () => {
      h.emulator.resetCounters();
      const answers = await Promise.all(BOTH_STATUSES.map((q) => askOldKeys(h.url, 'credential-report', q)));

      answers.forEach(({ status, body }, i) => {
        expect(status).toBe(200);
        expectAnswer(body, 'credential-report', BOTH_STATUSES[i], expectedRows(account, BOTH_STATUSES[i], seededAt));
        expect(body.report_generated_at).toBe(body.data_read_at);
      });
      // The shared inventory asks for every key, so its candidates are the users owning at least one.
      const owners = candidateUsers(account, { hours: 0, includeInactive: true }, seededAt);
      expect(owners.length).toBeLessThan(account.userCount);
      expect(h.emulator.counters.requests).toEqual({
        GenerateCredentialReport: 2, // STARTED, then COMPLETE after one poll
        GetCredentialReport: 1,
        ListAccessKeys: owners.length,
      });
    },
    SLOW,
  );

  it('gives the same keys from both strategies for every threshold, served from the cache at no IAM cost', async () => {
    h.emulator.resetCounters();
    for (const q of BOTH_STATUSES) {
      const [live, report] = await Promise.all([
        askOldKeys(h.url, 'list-users', q),
        askOldKeys(h.url, 'credential-report', q),
      ]);
      expect(live.status).toBe(200);
      expect(report.status).toBe(200);
      expect(keyRows(report.body)).toEqual(keyRows(live.body));
    }
    expect(h.emulator.counters.totalIamRequests).toBe(0);
  });
});

describe('old access keys on a three-page account, exact per-request scans (SCAN_CACHE_TTL_SECONDS=0)', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account },
      env: { SCAN_CACHE_TTL_SECONDS: '0', IAM_CONCURRENCY: '10' },
    });
  });
  afterAll(() => h?.close());

  it(
    'pages list-users through all three pages and asks ListAccessKeys only for users older than the threshold',
    async () => {
      const q = { hours: 8760, includeInactive: true };
      const { status, body } = await askOldKeys(h.url, 'list-users', q);
      expect(status).toBe(200);
      expectAnswer(body, 'list-users', q, expectedRows(account, q, seededAt));
      const old = usersOlderThan(account, q.hours, seededAt);
      expect(old.length).toBeLessThan(account.userCount / 4);
      expect(h.emulator.counters.requests).toEqual({ ListUsers: 3, ListAccessKeys: old.length });
    },
    SLOW,
  );

  it(
    'answers credential-report for one threshold with ListAccessKeys only for that threshold’s candidates',
    async () => {
      h.emulator.resetCounters();
      const q = { hours: 8760, includeInactive: false };
      const { status, body } = await askOldKeys(h.url, 'credential-report', q);
      expect(status).toBe(200);
      expectAnswer(body, 'credential-report', q, expectedRows(account, q, seededAt));
      expect(h.emulator.counters.requests).toEqual({
        GenerateCredentialReport: 2,
        GetCredentialReport: 1,
        ListAccessKeys: candidateUsers(account, q, seededAt).length,
      });
    },
    SLOW,
  );
});

describe('shared inventory expiry (SCAN_CACHE_TTL_SECONDS=1)', () => {
  const at = wholeSecondNow();
  const small = seedAccount({ seed: 21, users: 60, now: at });
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account: small }, env: { SCAN_CACHE_TTL_SECONDS: '1' } });
  });
  afterAll(() => h?.close());

  it('serves requests within the TTL from one read and scans again after it', async () => {
    const first = await askOldKeys(h.url, 'list-users', { hours: 720, includeInactive: false });
    const second = await askOldKeys(h.url, 'list-users', { hours: 24, includeInactive: true });
    expect(keyRows(first.body)).toEqual(expectedRows(small, { hours: 720, includeInactive: false }, at));
    expect(keyRows(second.body)).toEqual(expectedRows(small, { hours: 24, includeInactive: true }, at));
    expect(second.body.data_read_at).toBe(first.body.data_read_at);
    expect(h.emulator.counters.requests).toEqual({ ListUsers: 1, ListAccessKeys: small.userCount });

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const third = await askOldKeys(h.url, 'list-users', { hours: 720, includeInactive: false });
    expect(keyRows(third.body)).toEqual(keyRows(first.body));
    expect(Date.parse(third.body.data_read_at)).toBeGreaterThan(Date.parse(first.body.data_read_at));
    expect(h.emulator.counters.requests).toEqual({ ListUsers: 2, ListAccessKeys: 2 * small.userCount });
  });
});
