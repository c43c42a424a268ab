import { FINDINGS_CLOCK } from '@app/findings';
import { IAM_CLOCK } from '@app/iam';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  IamEmulator,
  seedOrganization,
  seededMemberAccountId,
  type EmulatedOrganization,
} from '@app/iam-emulator';
import { startApiOnEmulator, spawnApi, type ApiHarness, type SpawnedApi } from './support/api-harness';
import { expectedFindingsByAccount } from './support/expected-findings';
import { freshDataDir } from './support/embedded-store';
import { scrapeMetrics, seriesValue } from './support/prometheus-text';
import { StoreFixture } from './store/support/store-fixture';

const NOW = new Date('2026-06-15T12:00:00Z');
const ORG_ENV = { ACCOUNTS_SOURCE: 'organizations', ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME };

interface ScanJson {
  id: number;
  status: string;
  trigger: string;
  shard: string;
  progress: { accounts: number; done: number; failed: number };
  accounts: Array<{
    account_id: string;
    status: string;
    error_code: string | null;
    keys_seen: number;
    finished_at: string | null;
  }>;
  statusCode?: number;
  code?: string;
  fields?: Array<{ field: string }>;
}

interface InventoryJson {
  access_keys: Array<{ account_id: string; access_key_id: string; findings: string[] }>;
  accounts: Array<{ account_id: string; status: string; data_read_at?: string; code?: string }>;
  complete: boolean;
  statusCode?: number;
  code?: string;
  retry_after_seconds?: number;
}

class MovableClock {
  ms = NOW.getTime();
  now = (): Date => new Date(this.ms);
}

function org(seed = 61): EmulatedOrganization {
  return seedOrganization({ seed, accounts: 3, usersPerAccount: 12, now: NOW, lastUseCases: true });
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function waitForScan(url: string, id: number, timeoutMs = 30_000): Promise<ScanJson> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const scan = await json<ScanJson>(await fetch(`${url}/v1/scans/${id}`));
    if (scan.status !== 'running') {
      return scan;
    }
    if (Date.now() > until) {
      throw new Error(`scan ${id} still running after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function postgresUrl(fx: StoreFixture | undefined): string {
  const connection = fx?.connection();
  if (connection?.engine !== 'postgres') {
    throw new Error('no PostgreSQL fixture');
  }
  return connection.url;
}

const reportCalls = (e: IamEmulator, accountId: string) => e.countersFor(accountId).requests.GetCredentialReport ?? 0;

describe('scans kept in the store: POST /v1/scans, GET /v1/scans/{id}, the inventory answered from them', () => {
  const organization = org();
  const ids = organization.accounts.map((a) => a.id);
  const expected = expectedFindingsByAccount(organization, { now: NOW });
  const clock = new MovableClock();
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      // Reports on the spec's clock too (so data_read_at moves with it); 50 ms a call keeps a scan running a while.
      emulator: { organization, latencyMs: 50, clock: () => clock.ms },
      env: { ...ORG_ENV, SCAN_CACHE_TTL_SECONDS: '0', SCAN_WAIT_SECONDS: '20' },
      configure: (b) =>
        b.overrideProvider(IAM_CLOCK).useValue({ now: clock.now }).overrideProvider(FINDINGS_CLOCK).useValue(clock.now),
    });
  });
  afterAll(() => h?.close());

  it('starts a scan with 202 and its Location; a second request joins it; its progress ends complete per account', async () => {
    const first = await fetch(`${h.url}/v1/scans`, { method: 'POST' });
    expect(first.status).toBe(202);
    const started = await json<{ scan_id: number; joined: boolean; location: string }>(first);
    expect(first.headers.get('location')).toBe(`/v1/scans/${started.scan_id}`);
    expect(started).toEqual({ scan_id: started.scan_id, joined: false, location: `/v1/scans/${started.scan_id}` });

    const second = await fetch(`${h.url}/v1/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(second.status).toBe(202);
    expect(await json(second)).toEqual({ ...started, joined: true });

    const done = await waitForScan(h.url, started.scan_id);
    expect(done).toMatchObject({ status: 'complete', trigger: 'on-demand', shard: 'all' });
    expect(done.progress).toEqual({ accounts: 3, done: 3, failed: 0 });
    expect(done.accounts.map((a) => [a.account_id, a.status, a.keys_seen])).toEqual(
      ids.map((id) => [id, 'complete', (expected.get(id) ?? []).length]),
    );
    // One scan for the two requests: one report per account.
    for (const id of ids) {
      expect(reportCalls(h.emulator, id)).toBe(1);
    }
    const metrics = await scrapeMetrics(h.metricsUrl);
    expect(seriesValue(metrics, 'inventory_scans_total', { status: 'complete', trigger: 'on-demand' })).toBe(1);
    for (const id of ids) {
      expect([id, seriesValue(metrics, 'inventory_data_read_timestamp_seconds', { account_id: id })]).toEqual([
        id,
        NOW.getTime() / 1000,
      ]);
    }
  });

  it('answers the inventory from the store without calling IAM, exact per account, with data_read_at', async () => {
    h.emulator.resetCounters();
    const res = await fetch(`${h.url}/v1/iam/access-keys?include_exempted=true`);
    expect(res.status).toBe(200);
    const body = await json<InventoryJson>(res);
    const want = ids.flatMap((id) => (expected.get(id) ?? []).map((k) => [k.accountId, k.accessKeyId, k.findings]));
    const got = body.access_keys.map((k) => [k.account_id, k.access_key_id, k.findings]);
    expect(got.sort()).toEqual(want.sort());
    expect(body.complete).toBe(true);
    expect(body.accounts.map((a) => [a.account_id, a.status, typeof a.data_read_at])).toEqual(
      ids.map((id) => [id, 'ok', 'string']),
    );
    expect(Object.values(h.emulator.counters.requests).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('gives each answer an ETag: If-None-Match gets 304 without a body until a scan changes the inventory', async () => {
    const route = `${h.url}/v1/iam/access-keys?include_exempted=true`;
    const first = await fetch(route);
    const tag = first.headers.get('etag');
    expect(tag).toMatch(/^"[^"]+"$/);
    const again = await fetch(route, { headers: { 'if-none-match': `W/"other", ${tag}` } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(tag);

    const { account } = organization.accounts[0];
    const owner = account.listUsers().find((u) => u.accessKeys.length > 0);
    expect(account.deleteAccessKey(owner?.accessKeys[0].accessKeyId ?? '')).toBe(true);
    // ListUsers reads IAM as it is now (the report would be the one IAM made earlier).
    const started = await fetch(`${h.url}/v1/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'list-users' }),
    });
    const scan = await json<{ scan_id: number }>(started);
    await waitForScan(h.url, scan.scan_id);
    const changed = await fetch(route, { headers: { 'if-none-match': tag ?? '' } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(tag);
  });

  it('max_age_seconds: data young enough is served as is; older data waits for a scan of the asked accounts only', async () => {
    h.emulator.resetCounters();
    const member = seededMemberAccountId(1);
    const ask = async (query: string) => {
      const res = await fetch(`${h.url}/v1/iam/access-keys?account_id=${member}&${query}`);
      expect(res.status).toBe(200);
      return json<InventoryJson>(res);
    };
    await ask('max_age_seconds=3600');
    expect(h.emulator.counters.requests.GenerateCredentialReport ?? 0).toBe(0);

    // Two hours on: the same request needs a new read of that account, and of no other. The report itself is
    // AWS's: two hours old, still current (IAM makes a new one after 4 h), and data_read_at says so.
    clock.ms += 2 * 3_600_000;
    let body = await ask('max_age_seconds=3600');
    expect(body.accounts.map((a) => [a.account_id, a.status, a.data_read_at])).toEqual([
      [member, 'ok', NOW.toISOString()],
    ]);
    for (const id of ids) {
      expect([id, reportCalls(h.emulator, id)]).toEqual([id, id === member ? 1 : 0]);
    }

    // Fresher than the report can be: a list-users scan reads IAM now.
    body = await ask('max_age_seconds=60&source=list-users');
    expect(body.accounts.map((a) => [a.account_id, a.status, a.data_read_at])).toEqual([
      [member, 'ok', new Date(clock.ms).toISOString()],
    ]);
    expect(h.emulator.countersFor(member).requests.ListUsers).toBe(1);
  });

  it('refuses what it cannot answer: a bad scan id (400), an unknown one (404), an unknown account (400)', async () => {
    const bad = await json<ScanJson>(await fetch(`${h.url}/v1/scans/abc`));
    expect(bad).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', fields: [{ field: 'id' }] });
    const missing = await json<ScanJson>(await fetch(`${h.url}/v1/scans/999999`));
    expect(missing).toMatchObject({ statusCode: 404, code: 'SCAN_NOT_FOUND' });
    const unknown = await json<InventoryJson>(await fetch(`${h.url}/v1/iam/access-keys?account_id=999999999999`));
    expect(unknown).toMatchObject({ statusCode: 400, code: 'ACCOUNT_NOT_CONFIGURED' });
    const body = await fetch(`${h.url}/v1/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'live' }),
    });
    expect(body.status).toBe(400);
  });
});

describe('the stored inventory when a scan is not done in time, or an account fails', () => {
  it('answers 503 INVENTORY_NOT_FRESH with Retry-After when no scan completes within SCAN_WAIT_SECONDS', async () => {
    const h = await startApiOnEmulator({
      emulator: { organization: org(62), reportDelayMs: 2_500 },
      env: { ...ORG_ENV, SCAN_WAIT_SECONDS: '1' },
    });
    try {
      const res = await fetch(`${h.url}/v1/iam/access-keys`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('10');
      expect(await json(res)).toMatchObject({ code: 'INVENTORY_NOT_FRESH', retry_after_seconds: 10 });
      // The scan it started goes on and serves the next request.
      await new Promise((r) => setTimeout(r, 3_000));
      const later = await fetch(`${h.url}/v1/iam/access-keys?max_age_seconds=600`);
      expect(later.status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('names an account whose AssumeRole is denied: 502 ACCOUNTS_FAILED, and with allow_partial the others', async () => {
    const organization = org(63);
    const denied = seededMemberAccountId(2);
    const h = await startApiOnEmulator({ emulator: { organization }, env: ORG_ENV });
    try {
      h.emulator.assumeRoleDenied.add(denied);
      const res = await fetch(`${h.url}/v1/iam/access-keys`);
      const body = await json<InventoryJson>(res);
      expect(res.status).toBe(502);
      expect(body.code).toBe('ACCOUNTS_FAILED');
      expect(body.accounts.find((a) => a.account_id === denied)).toMatchObject({ status: 'failed' });
      const partial = await json<InventoryJson>(await fetch(`${h.url}/v1/iam/access-keys?allow_partial=true`));
      expect(partial.complete).toBe(false);
      expect(partial.accounts.map((a) => [a.account_id, a.status])).toEqual(
        organization.accounts.map((a) => [a.id, a.id === denied ? 'failed' : 'ok']),
      );
    } finally {
      await h.close();
    }
  });
});

describe('beyond one process', () => {
  let pg: StoreFixture | undefined;
  beforeAll(async () => {
    if (process.env.TEST_DATABASE_URL) {
      pg = new StoreFixture('postgres');
      await pg.setup();
    }
  });
  afterAll(() => pg?.teardown());

  const maybe = process.env.TEST_DATABASE_URL ? it : it.skip;

  maybe(
    'two API processes on one PostgreSQL: one scans at startup, the other joins; every account read once',
    async () => {
      const emulator = new IamEmulator({ organization: org(64), reportDelayMs: 200 });
      const url = await emulator.start(0, '127.0.0.1');
      const apis: SpawnedApi[] = [];
      try {
        const env = {
          ...ORG_ENV,
          AWS_ENDPOINT_URL_IAM: url,
          DATABASE_URL: postgresUrl(pg),
          SCAN_INTERVAL_MINUTES: '60',
          LOG_LEVEL: 'info',
        };
        apis.push(...(await Promise.all([spawnApi(env), spawnApi(env)])));
        const until = Date.now() + 30_000;
        let scans: ScanJson[] = [];
        for (;;) {
          const scan = await json<ScanJson>(await fetch(`${apis[1].url}/v1/scans/1`));
          if (scan.status === 'complete' || Date.now() > until) {
            scans = [scan, await json<ScanJson>(await fetch(`${apis[0].url}/v1/scans/2`))];
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(scans[0]).toMatchObject({ id: 1, trigger: 'startup', status: 'complete' });
        expect(scans[1]).toMatchObject({ statusCode: 404 });
        for (const a of org(64).accounts) {
          expect([a.id, reportCalls(emulator, a.id)]).toEqual([a.id, 1]);
        }
        const started = apis.map((a) =>
          a
            .stdout()
            .split('\n')
            .filter((l) => l.includes('scheduled inventory scan started')),
        );
        expect(started.map((lines) => lines.length).sort()).toEqual([0, 1]);
      } finally {
        await Promise.all(
          apis.map((a) => {
            a.child.kill('SIGTERM');
            return a.exited;
          }),
        );
        await emulator.stop();
      }
    },
  );

  it('a new process gives the account slots to the accounts whose recorded scan took longest', async () => {
    // The largest account listed last: a first scan reaches it last; the next process starts with it.
    const organization = seedOrganization({
      seed: 66,
      accounts: 3,
      usersPerAccount: (i) => [2, 20, 60][i],
      now: NOW,
    });
    const listed = organization.accounts.map((a) => a.id);
    const store = await freshDataDir();
    const env = { ...ORG_ENV, DATA_DIR: store.dir, ACCOUNT_CONCURRENCY: '1', SCAN_SOURCE: 'list-users' };
    const scanOrder = async () => {
      const h = await startApiOnEmulator({ emulator: { organization, latencyMs: 10 }, env });
      try {
        const started = await json<{ scan_id: number }>(await fetch(`${h.url}/v1/scans`, { method: 'POST' }));
        const done = await waitForScan(h.url, started.scan_id);
        expect(done.status).toBe('complete');
        return [...done.accounts]
          .sort((a, b) => Date.parse(a.finished_at ?? '') - Date.parse(b.finished_at ?? ''))
          .map((a) => a.account_id);
      } finally {
        await h.close();
      }
    };
    try {
      expect(await scanOrder()).toEqual(listed);
      expect(await scanOrder()).toEqual([...listed].reverse());
    } finally {
      store.remove();
    }
  });

  it('killed mid-scan (SIGKILL), the next process ends that scan, scans again, and serves only whole accounts', async () => {
    const emulator = new IamEmulator({ organization: org(65), reportDelayMs: 1_500 });
    const url = await emulator.start(0, '127.0.0.1');
    const store = await freshDataDir();
    const env = { ...ORG_ENV, AWS_ENDPOINT_URL_IAM: url, DATA_DIR: store.dir, SCAN_LEASE_SECONDS: '5' };
    let api = await spawnApi(env);
    try {
      const started = await json<{ scan_id: number }>(await fetch(`${api.url}/v1/scans`, { method: 'POST' }));
      await new Promise((r) => setTimeout(r, 300));
      api.child.kill('SIGKILL');
      await api.exited;

      api = await spawnApi(env);
      const res = await fetch(`${api.url}/v1/iam/access-keys?max_age_seconds=600`);
      expect(res.status).toBe(200);
      const body = await json<InventoryJson>(res);
      expect(body.complete).toBe(true);
      const expectedIds = [...expectedFindingsByAccount(org(65), { now: new Date() }).values()]
        .flat()
        .map((k) => k.accessKeyId)
        .sort();
      expect(body.access_keys.map((k) => k.access_key_id).sort()).toEqual(expectedIds);
      const dead = await json<ScanJson>(await fetch(`${api.url}/v1/scans/${started.scan_id}`));
      expect(dead.status).not.toBe('running');
      expect(dead.accounts.filter((a) => a.status === 'failed').every((a) => a.error_code === 'INCOMPLETE')).toBe(true);
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
      await emulator.stop();
      store.remove();
    }
  });
});
