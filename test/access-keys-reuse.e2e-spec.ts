import { FINDINGS_CLOCK } from '@app/findings';
import { ageHoursChangeAt, IAM_CLOCK } from '@app/iam';
import { DEFAULT_ACCOUNT_ID, seedAccount } from '@app/iam-emulator';
import { InventoryChangeFeed, InventoryRepository, type KeyObservation } from '@app/store';
import { PreparedAnswers } from '../apps/api/src/http/prepared-answers';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { describeStore, repositories, type StoreFixture } from './store/support/store-fixture';

/**
 * GET /v1/iam/access-keys answers from the store; its bytes are kept and served again (no store read, no build)
 * until something in them moves: an age at its precision, the data's age past max_age_seconds, or the stored
 * inventory itself, whether this process or another one changed it.
 */

const NOW = new Date('2026-06-15T12:00:00Z');
const ROUTE = '/v1/iam/access-keys?include_exempted=true';
const MINUTE_MS = 60_000;

interface InventoryJson {
  access_keys: Array<{ access_key_id: string; age_hours: number; created_date: string }>;
  accounts: Array<{ account_id: string; status: string; data_read_at?: string }>;
}

class MovableClock {
  ms = NOW.getTime();
  now = (): Date => new Date(this.ms);
}

/** The first whole second from `fromMs` after which no age in the answer moves for the next two seconds. */
function quietSecond(body: InventoryJson, fromMs: number): number {
  for (let t = Math.ceil(fromMs / 1000) * 1000; ; t += 1000) {
    const next = Math.min(...body.access_keys.map((k) => ageHoursChangeAt(new Date(t), new Date(k.created_date))));
    if (next > t + 2_000) {
      return t;
    }
  }
}

async function waitForScan(url: string, id: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (((await (await fetch(`${url}/v1/scans/${id}`)).json()) as { status: string }).status === 'running') {
    if (Date.now() > deadline) {
      throw new Error(`scan ${id} still running`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function databaseEnv(fx: StoreFixture): Record<string, string> {
  const connection = fx.connection();
  return connection.engine === 'postgres' ? { DATABASE_URL: connection.url } : {};
}

describeStore('the inventory answer kept between requests', (fx) => {
  const clock = new MovableClock();
  const account = seedAccount({ seed: 152, users: 30, now: NOW, youngUserFraction: 0 });
  let h: ApiHarness;
  const builds = () => h.app.get(PreparedAnswers).buildCount;
  const get = (path = ROUTE, headers: Record<string, string> = {}) => fetch(`${h.url}${path}`, { headers });
  const ids = (body: InventoryJson) => body.access_keys.map((k) => k.access_key_id).sort();

  /** A live scan (list-users): the report would not show a change made within its four hours. */
  async function scan(): Promise<void> {
    const res = await fetch(`${h.url}/v1/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'list-users' }),
    });
    const started = (await res.json()) as { scan_id: number };
    await waitForScan(h.url, started.scan_id);
  }

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account, clock: () => clock.ms },
      env: { ...databaseEnv(fx), SCAN_CACHE_TTL_SECONDS: '0', SCAN_WAIT_SECONDS: '20' },
      configure: (b) =>
        b.overrideProvider(IAM_CLOCK).useValue({ now: clock.now }).overrideProvider(FINDINGS_CLOCK).useValue(clock.now),
    });
    await scan();
  }, 120_000);
  afterAll(() => h?.close());

  it('hears the store', () => {
    expect(h.app.get(InventoryChangeFeed).live).toBe(true);
  });

  it('builds once for repeated questions: the same bytes and tag, 304 to the tag, no store read', async () => {
    const built = builds();
    const first = await get();
    expect(first.status).toBe(200);
    const body = await first.text();
    const etag = first.headers.get('etag') ?? '';
    expect(builds()).toBe(built + 1);
    for (let i = 0; i < 3; i++) {
      const again = await get();
      expect([again.status, again.headers.get('etag'), await again.text()]).toEqual([200, etag, body]);
    }
    expect((await get(ROUTE, { 'if-none-match': etag })).status).toBe(304);
    expect(builds()).toBe(built + 1);
  });

  it('builds again when an age moves a tenth of an hour, not before', async () => {
    const before = (await (await get()).json()) as InventoryJson;
    const built = builds();
    // Keys and clock on whole seconds: no age changes within the next 999 ms.
    clock.ms += 999;
    await get();
    expect(builds()).toBe(built);
    // The rebuild judges the rows it already read: the store changed in nothing, so it is not read again.
    const reads = jest.spyOn(h.app.get(InventoryRepository), 'latest');
    clock.ms += 6 * MINUTE_MS;
    const after = (await (await get()).json()) as InventoryJson;
    expect(builds()).toBe(built + 1);
    expect(reads).not.toHaveBeenCalled();
    expect(after.access_keys.map((k) => k.age_hours)).not.toEqual(before.access_keys.map((k) => k.age_hours));
  });

  it('with max_age_seconds, serves the kept answer while the data is that fresh, then scans', async () => {
    // Data read at a second when no age moves for a while: only max_age_seconds=1 can end the kept answer.
    clock.ms = quietSecond((await (await get()).json()) as InventoryJson, clock.ms + 1);
    await scan();
    const path = `${ROUTE}&max_age_seconds=1`;
    const first = (await (await get(path)).json()) as InventoryJson;
    expect(first.accounts[0].data_read_at).toBe(clock.now().toISOString());
    const built = builds();
    const lists = h.emulator.counters.requests.ListUsers ?? 0;
    clock.ms += 1_000;
    await get(path);
    expect(builds()).toBe(built);
    clock.ms += 1;
    const fresher = (await (await get(path)).json()) as InventoryJson;
    expect(fresher.accounts[0].data_read_at).toBe(clock.now().toISOString());
    // The request's own scan (SCAN_SOURCE: the report).
    expect(h.emulator.counters.requests.ListUsers ?? 0).toBe(lists);
    expect(h.emulator.counters.requests.GetCredentialReport ?? 0).toBeGreaterThan(0);
    expect(builds()).toBe(built + 1);
  });

  it('builds again at once after a scan in this process changed a key', async () => {
    const before = (await (await get()).json()) as InventoryJson;
    const gone = before.access_keys[0].access_key_id;
    account.deleteAccessKey(gone);
    await scan();
    const built = builds();
    const reads = jest.spyOn(h.app.get(InventoryRepository), 'latest');
    const after = (await (await get()).json()) as InventoryJson;
    expect(builds()).toBe(built + 1);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(ids(after)).toEqual(ids(before).filter((id) => id !== gone));
  });

  // Another process writing to the same store: only PostgreSQL has one (one process per embedded DATA_DIR).
  if (fx.name === 'postgres') {
    it("builds again once another process's write to the store is heard", async () => {
      const before = (await (await get()).json()) as InventoryJson;
      const built = builds();
      const other = repositories(await fx.open());
      clock.ms += 1_000;
      const readAt = clock.now();
      const scanId = await other.scans.start({
        source: 'credential-report',
        trigger: 'schedule',
        accounts: [{ accountId: DEFAULT_ACCOUNT_ID }],
        startedAt: readAt,
      });
      // The other process saw every key but the first.
      const kept = await other.inventory.latest([DEFAULT_ACCOUNT_ID]);
      const keys: KeyObservation[] = kept[0].keys
        .slice(1)
        .map(({ accountId: _account, firstSeen: _first, lastSeen: _last, ...observed }) => observed);
      await other.scans.recordAccount({ scanId, accountId: DEFAULT_ACCOUNT_ID, readAt, keys, findings: [] });
      await other.scans.finish(scanId, readAt);

      const deadline = Date.now() + 5_000;
      let after = before;
      while (ids(after).length === ids(before).length && Date.now() < deadline) {
        after = (await (await get()).json()) as InventoryJson;
      }
      expect(ids(after)).toEqual(ids(before).filter((id) => id !== kept[0].keys[0].accessKeyId));
      expect(after.accounts[0].data_read_at).toBe(readAt.toISOString());
      expect(builds()).toBe(built + 1);
    });
  }
});
