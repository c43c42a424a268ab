import { DEFAULT_ACCOUNT_ID, seedAccount } from '@app/iam-emulator';
import { STORE_ENGINE, type StoreEngine } from '@app/store';
import { askOldKeys, keyRows, LIST_USERS_PATH, requestJson, type KeyQuery } from './support/api-client';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { expectedRows, wholeSecondNow } from './support/expected-keys';
import { scrapeMetrics, seriesSum, seriesValue } from './support/prometheus-text';

interface HealthBody {
  status: string;
  details: Record<string, { status: string; reason?: string; latencyMs?: number; engine?: string }>;
}

describe('health probes', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account: seedAccount({ seed: 51, users: 10 }) } });
  });
  afterAll(() => h?.close());

  it('/health/live answers without calling AWS', async () => {
    for (let i = 0; i < 3; i++) {
      const { status, body } = await requestJson<HealthBody>(`${h.url}/health/live`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'ok', details: {} });
    }
    expect(h.emulator.counters.totalIamRequests).toBe(0);
  });

  it('/health/ready is up with IAM, and probes within READINESS_CACHE_SECONDS share one IAM call', async () => {
    const sequential = [];
    for (let i = 0; i < 3; i++) {
      sequential.push(await requestJson<HealthBody>(`${h.url}/health/ready`));
    }
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => requestJson<HealthBody>(`${h.url}/health/ready`)),
    );
    for (const { status, body } of [...sequential, ...concurrent]) {
      expect(status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.details.iam.status).toBe('up');
      expect(body.details.store).toEqual({ status: 'up', engine: 'pglite' });
    }
    expect(h.emulator.counters.requests).toEqual({ ListUsers: 1 });
  });
});

describe('readiness follows the store (READINESS_CACHE_SECONDS=0)', () => {
  let h: ApiHarness;
  let engine: StoreEngine;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account: seedAccount({ seed: 54, users: 5 }) },
      env: { READINESS_CACHE_SECONDS: '0' },
    });
    engine = h.app.get<StoreEngine>(STORE_ENGINE);
  });
  afterAll(() => h?.close());

  it('is down naming the pending migration while one is not applied, and up again once it is', async () => {
    await engine.withSession((s) => s.exec("DELETE FROM store_migrations WHERE name = '001_initial.sql'"));
    const pending = await requestJson<HealthBody>(`${h.url}/health/ready`);
    expect(pending.status).toBe(503);
    expect(pending.body.details.store).toEqual({
      status: 'down',
      reason: 'MIGRATIONS_PENDING',
      engine: 'pglite',
      pendingMigrations: ['001_initial.sql'],
    });
    expect(pending.body.details.iam.status).toBe('up');

    await engine.withSession((s) => s.exec("INSERT INTO store_migrations (name) VALUES ('001_initial.sql')"));
    const ready = await requestJson<HealthBody>(`${h.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.details.store).toEqual({ status: 'up', engine: 'pglite' });
  });

  it('is down when the store cannot be queried, while liveness stays 200', async () => {
    await engine.close();
    const { status, body } = await requestJson<HealthBody>(`${h.url}/health/ready`);
    expect(status).toBe(503);
    expect(body.details.store).toEqual({ status: 'down', reason: 'STORE_UNREACHABLE', engine: 'pglite' });
    expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
  });
});

describe('readiness when IAM denies the service (READINESS_CACHE_SECONDS=0)', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account: seedAccount({ seed: 52, users: 10 }), faults: { accessDenied: new Set(['ListUsers']) } },
      env: { READINESS_CACHE_SECONDS: '0' },
    });
  });
  afterAll(() => h?.close());

  it('answers 503 with the reason, asking IAM on every probe, while liveness stays 200', async () => {
    for (let i = 0; i < 2; i++) {
      const { status, body } = await requestJson<HealthBody>(`${h.url}/health/ready`);
      expect(status).toBe(503);
      expect(body.status).toBe('error');
      expect(body.details.iam).toEqual({ status: 'down', reason: 'IAM_ACCESS_DENIED' });
    }
    expect(h.emulator.counters.requests).toEqual({ ListUsers: 2 });
    expect(h.emulator.counters.errors).toEqual({ AccessDenied: 2 });
    expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
  });
});

describe('Prometheus metrics', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 53, users: 100, now: seededAt });
  const q: KeyQuery = { hours: 720, includeInactive: true };
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      // A little latency keeps a scan running long enough to be seen in flight.
      emulator: { account, latencyMs: 5 },
      env: { SCAN_CACHE_TTL_SECONDS: '0', IAM_CONCURRENCY: '2' },
    });
  });
  afterAll(() => h?.close());

  it('shows a scan in flight while it runs', async () => {
    const answer = askOldKeys(h.url, 'list-users', q);
    let seen: number | undefined;
    for (let i = 0; i < 200 && !seen; i++) {
      seen = seriesValue(await scrapeMetrics(h.metricsUrl), 'scans_in_flight', { strategy: 'list-users' });
    }
    expect(seen).toBe(1);
    expect((await answer).status).toBe(200);
    expect(seriesValue(await scrapeMetrics(h.metricsUrl), 'scans_in_flight', { strategy: 'list-users' })).toBe(0);
  });

  it('counts HTTP requests, IAM calls, scans and the keys found by age band', async () => {
    const { body } = await askOldKeys(h.url, 'list-users', q);
    expect(keyRows(body)).toEqual(expectedRows(account, q, seededAt));
    const report = await askOldKeys(h.url, 'credential-report', q);
    expect(report.status).toBe(200);
    expect((await fetch(`${h.url}${LIST_USERS_PATH}?hours=abc`)).status).toBe(400);

    const m = await scrapeMetrics(h.metricsUrl);
    const route = LIST_USERS_PATH;
    expect(seriesValue(m, 'http_requests_total', { route, method: 'GET', status: '200' })).toBe(2);
    expect(seriesValue(m, 'http_requests_total', { route, method: 'GET', status: '400' })).toBe(1);
    expect(
      seriesValue(m, 'http_requests_total', {
        route: '/v1/iam/old-access-keys/credential-report',
        method: 'POST',
        status: '200',
      }),
    ).toBe(1);
    expect(
      seriesValue(m, 'http_request_duration_seconds_bucket', { route, method: 'GET', status: '200', le: '+Inf' }),
    ).toBe(2);
    expect(seriesValue(m, 'http_request_duration_seconds_count', { route, method: 'GET', status: '200' })).toBe(2);

    // Every IAM attempt the emulator answered, by action, and no failures.
    const { requests } = h.emulator.counters;
    for (const action of ['ListUsers', 'ListAccessKeys', 'GenerateCredentialReport', 'GetCredentialReport']) {
      expect(seriesValue(m, 'iam_calls_total', { action, outcome: 'ok', account_id: DEFAULT_ACCOUNT_ID })).toBe(
        requests[action],
      );
    }
    expect(seriesSum(m, 'iam_calls_total')).toBe(h.emulator.counters.totalIamRequests);

    expect(
      seriesValue(m, 'scan_duration_seconds_count', {
        strategy: 'list-users',
        outcome: 'ok',
        account_id: DEFAULT_ACCOUNT_ID,
      }),
    ).toBe(2);
    expect(
      seriesValue(m, 'scan_duration_seconds_count', {
        strategy: 'credential-report',
        outcome: 'ok',
        account_id: DEFAULT_ACCOUNT_ID,
      }),
    ).toBe(1);
    expect(seriesValue(m, 'scans_in_flight', { strategy: 'list-users' })).toBe(0);
    // Nothing throttled: the pace is still unlimited, and the one (cold) report scan took no id from the cache.
    expect(seriesValue(m, 'iam_rate_governor_paced', { account_id: DEFAULT_ACCOUNT_ID })).toBe(0);
    expect(seriesValue(m, 'iam_rate_governor_calls_per_second', { account_id: DEFAULT_ACCOUNT_ID })).toBe(0);
    expect(seriesValue(m, 'iam_rate_governor_decreases', { account_id: DEFAULT_ACCOUNT_ID })).toBe(0);
    expect(seriesValue(m, 'credential_report_key_ids_from_cache_total')).toBe(0);

    // The last list-users scan's keys, by age band and status, add up to its answer.
    const bands: [string, number][] = [
      ['under_30d', 720],
      ['30d_to_90d', 2160],
      ['90d_to_180d', 4320],
      ['180d_to_365d', 8760],
      ['over_365d', Infinity],
    ];
    for (const status of ['Active', 'Inactive']) {
      let lower = -Infinity;
      for (const [band, below] of bands) {
        const inBand = body.old_access_keys.filter(
          (k) => k.status === status && k.age_hours >= lower && k.age_hours < below,
        );
        expect(
          seriesValue(m, 'old_access_keys', { strategy: 'list-users', band, status, account_id: DEFAULT_ACCOUNT_ID }),
        ).toBe(inBand.length);
        lower = below;
      }
    }
    expect(seriesSum(m, 'old_access_keys', { strategy: 'list-users' })).toBe(body.count);
  });
});
