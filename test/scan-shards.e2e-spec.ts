import { spawn } from 'node:child_process';
import {
  DEFAULT_ACCOUNT_ID,
  DEFAULT_MEMBER_ROLE_NAME,
  EMULATOR_AWS_ENV,
  IamEmulator,
  seedOrganization,
  seededMemberAccountId,
} from '@app/iam-emulator';
import { shardOf } from '@app/scans';
import type { StoreEngine } from '@app/store';
import { killSpawned, ROOT, spawnApi, type SpawnedApi } from './support/api-harness';
import { wholeSecondNow } from './support/expected-keys';
import { parseLogLines, type LogLine } from './support/log-lines';
import { NO_POSTGRES_MESSAGE, repositories, StoreFixture } from './store/support/store-fixture';

/**
 * The scanner as the Indexed Job runs it: SCAN_SHARD_COUNT processes, each told its JOB_COMPLETION_INDEX, scanning
 * the emulator's organization concurrently into one PostgreSQL. Each account is read by exactly one of them, and the
 * merged inventory is the one a single process scanning every account records.
 */

const SHARDS = 3;
// Boot (Nest, the store's migrations, the SDK) of four processes at once on a shared two-core machine.
const SLOW = 300_000;

interface Run {
  code: number | null;
  lines: LogLine[];
  stderr: string;
}

function runScanner(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/scanner/src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, lines: parseLogLines(stdout), stderr })));
}

/** An organization of seven accounts (one suspended), the same on every emulator built from these options. */
function organization(now: Date) {
  return seedOrganization({
    seed: 61,
    accounts: 7,
    usersPerAccount: 12,
    suspended: 1,
    rootAccessKeys: 1,
    lastUseCases: true,
    now,
  });
}

function scannerEnv(emulatorUrl: string, databaseUrl: string): Record<string, string> {
  return {
    ...EMULATOR_AWS_ENV,
    AWS_ENDPOINT_URL_IAM: emulatorUrl,
    AWS_ENDPOINT_URL_STS: emulatorUrl,
    AWS_ENDPOINT_URL_ORGANIZATIONS: emulatorUrl,
    ACCOUNTS_SOURCE: 'organizations',
    ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
    REPORT_POLL_INTERVAL_MS: '20',
    DATABASE_URL: databaseUrl,
  };
}

const shardEnv = (index: number) => ({ SCAN_SHARD_COUNT: String(SHARDS), JOB_COMPLETION_INDEX: String(index) });

function databaseUrl(fx: StoreFixture): string {
  const connection = fx.connection();
  if (connection.engine !== 'postgres') {
    throw new Error('not a PostgreSQL fixture');
  }
  return connection.url;
}

/** What the store serves, without what differs between two scans by nature (scan ids, read and seen times). */
async function inventoryOf(engine: StoreEngine) {
  const repo = repositories(engine);
  const accounts = await repo.inventory.latest();
  const findings = await repo.findings.open();
  return {
    accounts: accounts
      .map((a) => ({
        accountId: a.accountId,
        accountName: a.accountName,
        source: a.source,
        tagExemptions: Object.fromEntries([...a.tagExemptions].sort(([x], [y]) => (x < y ? -1 : 1))),
        keys: a.keys
          .map((k) => ({
            userName: k.userName,
            accessKeyId: k.accessKeyId,
            status: k.status,
            createdAt: k.createdAt.toISOString(),
            lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
            lastUsedService: k.lastUsedService,
            lastUsedRegion: k.lastUsedRegion,
          }))
          .sort((x, y) => (x.accessKeyId < y.accessKeyId ? -1 : 1)),
      }))
      .sort((x, y) => (x.accountId < y.accountId ? -1 : 1)),
    findings: findings
      .map((f) => `${f.accountId} ${f.userName} ${f.accessKeyId} ${f.code}`)
      .sort((x, y) => (x < y ? -1 : 1)),
  };
}

/** Each scan in the store with its shard and the accounts it holds, by status. */
async function scansOf(engine: StoreEngine) {
  const repo = repositories(engine);
  const views = [];
  for (let id = 1; ; id++) {
    const view = await repo.scans.get(id);
    if (!view) {
      return views;
    }
    views.push({
      shard: view.shard,
      trigger: view.trigger,
      status: view.status,
      accounts: view.accounts.map((a) => `${a.accountId} ${a.status}${a.errorCode ? ` ${a.errorCode}` : ''}`).sort(),
    });
  }
}

const finished = (run: Run) => run.lines.find((l) => l.msg === 'The scan job finished');

interface InventoryJson {
  complete: boolean;
  access_keys: Array<Record<string, unknown>>;
  root_access_keys: Array<Record<string, unknown>>;
  accounts: Array<{ account_id: string; status: string }>;
}

/** GET /v1/iam/access-keys of an API on a scanned store, without what moves with the clock (ages, read times). */
async function servedInventory(api: SpawnedApi) {
  const res = await fetch(`${api.url}/v1/iam/access-keys?include_exempted=true&allow_partial=true`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as InventoryJson;
  const pick = (k: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(k).filter(([field]) => field !== 'age_hours' && field !== 'data_read_at'));
  return {
    complete: body.complete,
    accessKeys: body.access_keys.map(pick),
    rootAccessKeys: body.root_access_keys.map(pick),
    accounts: body.accounts.map((a) => [a.account_id, a.status]),
  };
}

function describePostgres(title: string, body: () => void): void {
  describe(title, () => {
    if (process.env.STORE_TESTS_EMBEDDED_ONLY === '1') {
      it.skip('needs PostgreSQL (STORE_TESTS_EMBEDDED_ONLY=1 leaves it out): sharded scans share one server', () => {});
      return;
    }
    if (!process.env.TEST_DATABASE_URL) {
      it('needs a PostgreSQL server', () => {
        throw new Error(NO_POSTGRES_MESSAGE);
      });
      return;
    }
    body();
  });
}

describePostgres('sharded scans: the scanner as an Indexed Job into one PostgreSQL', () => {
  const seededAt = wholeSecondNow();
  const org = organization(seededAt);
  const active = org.accounts.filter((a) => (a.status ?? 'ACTIVE') === 'ACTIVE').map((a) => a.id);
  const suspended = seededMemberAccountId(6);
  const all = org.accounts.map((a) => a.id);
  const emulators: IamEmulator[] = [];
  const fixtures: StoreFixture[] = [];

  async function emulator(): Promise<{ emulator: IamEmulator; url: string }> {
    const e = new IamEmulator({ organization: organization(seededAt) });
    emulators.push(e);
    return { emulator: e, url: await e.start(0, '127.0.0.1') };
  }

  async function database(): Promise<StoreFixture> {
    const fx = new StoreFixture('postgres');
    fixtures.push(fx);
    await fx.setup();
    return fx;
  }

  afterAll(async () => {
    for (const e of emulators) {
      await e.stop();
    }
    for (const fx of fixtures) {
      await fx.teardown();
    }
  }, 60_000);

  it('the seeded organization spreads over every shard', () => {
    const shards = all.map((id) => shardOf(id, SHARDS));
    expect(new Set(shards)).toEqual(new Set([0, 1, 2]));
    expect(active).not.toContain(suspended);
    expect(all).toContain(DEFAULT_ACCOUNT_ID);
  });

  it(
    'three shards read each account once, exit 0, and record the inventory a single process records',
    async () => {
      const sharded = await emulator();
      const single = await emulator();
      const shardedDb = await database();
      const singleDb = await database();

      // The three shards and the single-process scan at once: the same organization, read in the same minute.
      const [runs, alone] = await Promise.all([
        Promise.all(
          [0, 1, 2].map((i) => runScanner({ ...scannerEnv(sharded.url, databaseUrl(shardedDb)), ...shardEnv(i) })),
        ),
        runScanner(scannerEnv(single.url, databaseUrl(singleDb))),
      ]);

      expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
      expect(alone.code).toBe(0);
      for (const run of [...runs, alone]) {
        expect(run.lines.filter((l) => l.level >= 50)).toEqual([]);
      }
      runs.forEach((run, i) => {
        const ids = active.filter((id) => shardOf(id, SHARDS) === i);
        expect(finished(run)).toMatchObject({
          shard: `${i}/${SHARDS}`,
          joined: false,
          exitCode: 0,
          status: 'complete',
          accountsOk: ids.length,
          accountsFailed: 0,
          accountsSkipped: shardOf(suspended, SHARDS) === i ? 1 : 0,
        });
      });
      expect(finished(alone)).toMatchObject({ shard: 'all', exitCode: 0, accountsOk: active.length });

      // Each account's IAM was asked by one process only: its calls are exactly those the single scan made of it,
      // one credential report each. Only the organization's listing (the management account's ListAccounts, and
      // GetCallerIdentity) is every process's: each resolves the accounts before keeping its shard's.
      const perProcess = ['GetCallerIdentity', 'ListAccounts'];
      const iamCalls = (e: IamEmulator, id: string) =>
        Object.fromEntries(
          Object.entries(e.countersFor(id).requests).filter(([action]) => !perProcess.includes(action)),
        );
      for (const id of all) {
        expect(iamCalls(sharded.emulator, id)).toEqual(iamCalls(single.emulator, id));
      }
      for (const action of perProcess) {
        expect(sharded.emulator.countersFor(DEFAULT_ACCOUNT_ID).requests[action]).toBe(
          SHARDS * single.emulator.countersFor(DEFAULT_ACCOUNT_ID).requests[action],
        );
      }
      for (const id of active) {
        expect(sharded.emulator.countersFor(id).requests.GetCredentialReport).toBe(1);
        expect(sharded.emulator.countersFor(id).requests.ListAccessKeys).toBeGreaterThan(0);
      }
      expect(sharded.emulator.countersFor(suspended).totalIamRequests).toBe(0);

      // One scan per shard in the store, each holding exactly its shard's accounts, together every account once.
      const shardedEngine = await shardedDb.open();
      const singleEngine = await singleDb.open();
      const scans = await scansOf(shardedEngine);
      expect(scans.map((s) => s.shard).sort()).toEqual(['0/3', '1/3', '2/3']);
      for (const scan of scans) {
        const index = Number(scan.shard.split('/')[0]);
        expect(scan).toEqual({
          shard: scan.shard,
          trigger: 'job',
          status: 'complete',
          accounts: all
            .filter((id) => shardOf(id, SHARDS) === index)
            .map((id) => `${id} ${id === suspended ? 'skipped SUSPENDED' : 'complete'}`)
            .sort(),
        });
      }
      expect(await scansOf(singleEngine)).toEqual([
        {
          shard: 'all',
          trigger: 'job',
          status: 'complete',
          accounts: all.map((id) => `${id} ${id === suspended ? 'skipped SUSPENDED' : 'complete'}`).sort(),
        },
      ]);

      // The merged inventory is the single process's: same accounts, keys (ids, status, created, last use),
      // tag exemptions and findings.
      const merged = await inventoryOf(shardedEngine);
      const whole = await inventoryOf(singleEngine);
      expect(merged.accounts.map((a) => a.accountId)).toEqual([...active].sort());
      expect(merged.accounts.every((a) => a.keys.length > 0)).toBe(true);
      expect(merged.findings.length).toBeGreaterThan(0);
      expect(merged).toEqual(whole);

      // And the API on each database (its scheduler off, so it only reads) serves the same inventory.
      const apiEnv = (emulatorUrl: string, db: StoreFixture) => ({
        ...scannerEnv(emulatorUrl, databaseUrl(db)),
        SCAN_INTERVAL_MINUTES: '0',
        LOG_LEVEL: 'silent',
      });
      const apis = await Promise.all([
        spawnApi(apiEnv(sharded.url, shardedDb)),
        spawnApi(apiEnv(single.url, singleDb)),
      ]);
      try {
        const [fromShards, fromOne] = await Promise.all(apis.map(servedInventory));
        expect(fromShards.complete).toBe(true);
        expect(fromShards.accessKeys.length).toBe(
          merged.accounts.reduce((n, a) => n + a.keys.length, 0) - fromShards.rootAccessKeys.length,
        );
        expect(fromShards).toEqual(fromOne);
      } finally {
        await Promise.all(apis.map(killSpawned));
      }
    },
    SLOW,
  );

  it(
    'an account whose role cannot be assumed fails its shard (exit 1); the other shards exit 0',
    async () => {
      const { emulator: e, url } = await emulator();
      const db = await database();
      const denied = seededMemberAccountId(4);
      const failing = shardOf(denied, SHARDS);
      e.assumeRoleDenied.add(denied);

      const runs = await Promise.all(
        [0, 1, 2].map((i) => runScanner({ ...scannerEnv(url, databaseUrl(db)), ...shardEnv(i) })),
      );

      expect(runs.map((r) => r.code)).toEqual([0, 1, 2].map((i) => (i === failing ? 1 : 0)));
      const others = active.filter((id) => shardOf(id, SHARDS) === failing && id !== denied);
      expect(finished(runs[failing])).toMatchObject({
        shard: `${failing}/${SHARDS}`,
        exitCode: 1,
        status: others.length > 0 ? 'partial' : 'failed',
        accountsOk: others.length,
        accountsFailed: 1,
      });
      expect(e.countersFor(denied).totalIamRequests).toBe(0);

      // What the failing shard read of its other accounts is kept; the denied account has no inventory.
      const engine = await db.open();
      const scan = (await scansOf(engine)).find((s) => s.shard === `${failing}/${SHARDS}`);
      expect(scan?.accounts).toContain(`${denied} failed ACCOUNT_ACCESS_DENIED`);
      const { accounts } = await inventoryOf(engine);
      expect(accounts.map((a) => a.accountId)).toEqual(active.filter((id) => id !== denied).sort());
    },
    SLOW,
  );
});
