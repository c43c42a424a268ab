import { DEFAULT_ACCOUNT_ID, seedAccount } from '@app/iam-emulator';
import { IamClientProvider } from '@app/iam';
import { askOldKeys, keyRows } from './support/api-client';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { expectedRows, wholeSecondNow } from './support/expected-keys';
import { scrapeMetrics, seriesValue } from './support/prometheus-text';

const seededAt = wholeSecondNow();
const account = seedAccount({ seed: 21, users: 300, now: seededAt });
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('scanning an account behind an IAM rate limit', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account, rateLimit: { ratePerSecond: 100, burst: 5 }, latencyMs: [2, 5] },
      // One SDK attempt per call: every throttle must be paced away by the governor and retried by the client.
      env: { SCAN_CACHE_TTL_SECONDS: '0', IAM_CONCURRENCY: '10', IAM_MAX_ATTEMPTS: '1' },
    });
  });
  afterAll(() => h?.close());

  it('answers list-users exactly, paces itself to the limit instead of hammering it, and fails nothing', async () => {
    const query = { hours: 0, includeInactive: true };

    const { status, body } = await askOldKeys(h.url, 'list-users', query);

    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(expectedRows(account, query, seededAt));
    const { counters } = h.emulator;
    const throttled = sum(counters.throttled);
    const useful = counters.totalIamRequests - throttled;
    expect(counters.requests.ListAccessKeys - (counters.throttled.ListAccessKeys ?? 0)).toBe(account.userCount);
    expect(throttled).toBeGreaterThan(0); // the limit was really in the way
    expect(counters.totalErrors).toBe(throttled); // and nothing but throttling went wrong
    // Hammering at concurrency 10 against 2-5 ms answers would be throttled more often than answered.
    expect(throttled).toBeLessThan(useful / 5);
    const governor = h.app.get(IamClientProvider).rateGovernor.snapshot();
    expect(governor.throttled).toBe(throttled);
    expect(governor.ratePerSecond).toBeLessThan(Infinity);

    // /metrics shows the same pace and cuts.
    const m = await scrapeMetrics(h.metricsUrl);
    expect(seriesValue(m, 'iam_rate_governor_paced', { account_id: DEFAULT_ACCOUNT_ID })).toBe(1);
    expect(seriesValue(m, 'iam_rate_governor_calls_per_second', { account_id: DEFAULT_ACCOUNT_ID })).toBe(
      governor.ratePerSecond,
    );
    expect(seriesValue(m, 'iam_rate_governor_decreases', { account_id: DEFAULT_ACCOUNT_ID })).toBe(governor.decreases);
    expect(governor.decreases).toBeGreaterThan(0);
  });

  it('answers the same from the credential report under the same limit', async () => {
    const query = { hours: 24, includeInactive: false };
    h.emulator.resetCounters();

    const { status, body } = await askOldKeys(h.url, 'credential-report', query);

    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(expectedRows(account, query, seededAt));
    expect(h.emulator.counters.totalErrors).toBe(sum(h.emulator.counters.throttled));
  });
});
