import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  AccountsRepository,
  FindingsRepository,
  InventoryRepository,
  LeaseRepository,
  loadMigrations,
  NotificationsRepository,
  openStoreEngine,
  RetentionRepository,
  runMigrations,
  ScansRepository,
  type StoreConnection,
  type StoreEngine,
} from '@app/store';
import { pgliteTemplate } from '../../support/embedded-store';

export type EngineName = StoreConnection['engine'];
type PostgresConnection = Extract<StoreConnection, { engine: 'postgres' }>;

export const NO_POSTGRES_MESSAGE =
  'The store suite runs on PostgreSQL too and TEST_DATABASE_URL is unset. Start one with ' +
  '`export TEST_DATABASE_URL=$(bash scripts/ci-postgres.sh start)` (Debian: apt-get install postgresql), ' +
  'install PostgreSQL so `npm test` starts its own, or set STORE_TESTS_EMBEDDED_ONLY=1 to run the embedded half only.';

export function storeEngineNames(): EngineName[] {
  return process.env.STORE_TESTS_EMBEDDED_ONLY === '1' ? ['pglite'] : ['pglite', 'postgres'];
}

export class StoreFixture {
  private readonly opened: StoreEngine[] = [];
  private dataDir?: string;
  private database?: { admin: string; name: string; url: string };

  constructor(readonly name: EngineName) {}

  async setup(): Promise<void> {
    if (this.name === 'pglite') {
      this.dataDir = mkdtempSync(join(tmpdir(), 'iam-key-monitor-store-'));
      cpSync(await pgliteTemplate(), this.dataDir, { recursive: true });
      return;
    }
    const admin = process.env.TEST_DATABASE_URL;
    if (!admin) {
      throw new Error(NO_POSTGRES_MESSAGE);
    }
    const name = `store_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const client = new Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    const url = new URL(admin);
    url.pathname = `/${name}`;
    this.database = { admin, name, url: url.toString() };
  }

  get dir(): string {
    if (!this.dataDir) {
      throw new Error('not a PGlite fixture');
    }
    return this.dataDir;
  }

  connection(overrides: Partial<Omit<PostgresConnection, 'engine'>> = {}): StoreConnection {
    if (this.name === 'pglite') {
      return { engine: 'pglite', dataDir: this.dir, display: `embedded PostgreSQL in ${this.dir}` };
    }
    if (!this.database) {
      throw new Error('fixture not set up');
    }
    return {
      engine: 'postgres',
      url: this.database.url,
      display: this.database.name,
      poolMax: 5,
      statementTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      ...overrides,
    };
  }

  async open(overrides: Partial<Omit<PostgresConnection, 'engine'>> = {}): Promise<StoreEngine> {
    const engine = await openStoreEngine(this.connection(overrides));
    this.opened.push(engine);
    return engine;
  }

  async openMigrated(): Promise<StoreEngine> {
    const engine = await this.open();
    await engine.withSession((s) => runMigrations(s, loadMigrations()));
    return engine;
  }

  /** Closes an engine early (PGlite's folder can be opened by one engine at a time). */
  async close(engine: StoreEngine): Promise<void> {
    const i = this.opened.indexOf(engine);
    if (i !== -1) {
      this.opened.splice(i, 1);
      await engine.close();
    }
  }

  async teardown(): Promise<void> {
    for (const engine of this.opened.splice(0)) {
      await engine.close().catch(() => undefined);
    }
    if (this.dataDir) {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
    if (this.database) {
      const client = new Client({ connectionString: this.database.admin });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${this.database.name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    }
  }
}

/**
 * The same tests on every engine. Without TEST_DATABASE_URL the PostgreSQL half fails (it never passes
 * silently) unless STORE_TESTS_EMBEDDED_ONLY=1 leaves it out.
 */
export function describeStore(title: string, body: (fx: StoreFixture) => void): void {
  describe.each(storeEngineNames())(`${title} (%s)`, (name) => {
    if (name === 'postgres' && !process.env.TEST_DATABASE_URL) {
      it('needs a PostgreSQL server', () => {
        throw new Error(NO_POSTGRES_MESSAGE);
      });
      return;
    }
    const fx = new StoreFixture(name);
    beforeAll(() => fx.setup(), 60_000);
    afterAll(() => fx.teardown(), 60_000);
    body(fx);
  });
}

export function repositories(engine: StoreEngine) {
  const accounts = new AccountsRepository(engine);
  const inventory = new InventoryRepository(engine);
  const findings = new FindingsRepository(engine);
  return {
    accounts,
    inventory,
    findings,
    scans: new ScansRepository(engine, accounts, inventory, findings),
    notifications: new NotificationsRepository(engine),
    retention: new RetentionRepository(engine),
    leases: new LeaseRepository(engine),
  };
}
