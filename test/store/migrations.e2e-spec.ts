import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { Test } from '@nestjs/testing';
import {
  loadMigrations,
  MigrationError,
  pendingMigrations,
  runMigrations,
  STORE_ENGINE,
  STORE_MIGRATIONS,
  StoreReadiness,
  type Migration,
  type StoreEngine,
} from '@app/store';
import { storeSchema } from '@app/store/schema';
import { describeStore } from './support/store-fixture';

// Every shipped migration, in order; a new one is added here by the change that ships it.
const SHIPPED = [
  '001_initial.sql',
  '002_notification_ladder.sql',
  '003_inventory_scans.sql',
  '004_remediation.sql',
  '005_inventory_changes.sql',
  '006_account_scan_duration.sql',
];

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'store-migrations-'));
  for (const [name, sql] of Object.entries(files)) {
    writeFileSync(join(dir, name), sql);
  }
  return dir;
}

describe(loadMigrations.name, () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const load = (files: Record<string, string>) => {
    const dir = migrationsDir(files);
    dirs.push(dir);
    return () => loadMigrations(dir);
  };

  it('loads the shipped migrations in order', () => {
    expect(loadMigrations().map((m) => m.name)).toEqual(SHIPPED);
  });

  it('refuses a badly named file, naming it', () => {
    expect(load({ '001_a.sql': 'SELECT 1', '2_b.sql': 'SELECT 1' })).toThrow(
      'Store migration 2_b.sql failed: its name must look like 001_what_it_does.sql',
    );
  });

  it('refuses a gap in the numbers', () => {
    expect(load({ '001_a.sql': 'SELECT 1', '003_c.sql': 'SELECT 1' })).toThrow(
      'Store migration 003_c.sql failed: expected number 002 here',
    );
  });
});

const tables = (engine: StoreEngine) =>
  engine.withSession((s) =>
    s.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'
       ORDER BY table_name, column_name`,
    ),
  );

describeStore('store migrations', (fx) => {
  let engine: StoreEngine;
  beforeAll(async () => {
    engine = await fx.open();
  });

  it('applies 001 once, records it, and the typed schema matches the tables it made', async () => {
    const migrations = loadMigrations();
    await expect(engine.withSession((s) => pendingMigrations(s, migrations))).resolves.toEqual(SHIPPED);
    await expect(engine.withSession((s) => runMigrations(s, migrations))).resolves.toEqual(SHIPPED);
    await expect(engine.withSession((s) => runMigrations(s, migrations))).resolves.toEqual([]);
    await expect(engine.withSession((s) => pendingMigrations(s, migrations))).resolves.toEqual([]);

    const actual = await tables(engine);
    const expected = Object.values(storeSchema).flatMap((table) => {
      const config = getTableConfig(table);
      return config.columns.map((c) => ({ table_name: config.name, column_name: c.name }));
    });
    const inDb = actual.filter((r) => r.table_name !== 'store_migrations');
    const key = (r: { table_name: string; column_name: string }) => `${r.table_name}.${r.column_name}`;
    expect(inDb.map(key).sort()).toEqual(expected.map(key).sort());
  });

  it('two runners at once: one applies, the other waits on the advisory lock and finds nothing to do', async () => {
    // Without the lock both would see 001 pending and the second CREATE TABLE would fail.
    const slow: Migration[] = [{ name: '001_slow.sql', sql: 'SELECT pg_sleep(0.5); CREATE TABLE race_once (id int);' }];
    // PGlite is one connection per folder: its two runners share the engine and take turns on its sessions.
    const rivals = fx.name === 'postgres' ? [await fx.open(), await fx.open()] : [engine, engine];
    await engine.withSession((s) => s.exec('DROP TABLE IF EXISTS store_migrations'));
    const results = await Promise.all(rivals.map((e) => e.withSession((s) => runMigrations(s, slow))));
    expect(results.map((r) => r.length).sort()).toEqual([0, 1]);
    expect(results.flat()).toEqual(['001_slow.sql']);
    await engine.withSession((s) => s.exec('DROP TABLE race_once; DROP TABLE store_migrations'));
    await engine.withSession((s) => runMigrations(s, [{ name: '001_initial.sql', sql: 'SELECT 1' }]));
  });

  it('a failed migration rolls back, is not recorded, and names its file', async () => {
    const broken: Migration[] = [
      { name: '001_initial.sql', sql: 'SELECT 1' },
      { name: '002_broken.sql', sql: 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;' },
    ];
    const run = engine.withSession((s) => runMigrations(s, broken));
    await expect(run).rejects.toThrow(MigrationError);
    await expect(engine.withSession((s) => runMigrations(s, broken))).rejects.toThrow(
      'Store migration 002_broken.sql failed: relation "no_such_table" does not exist',
    );
    await expect(engine.withSession((s) => pendingMigrations(s, broken))).resolves.toEqual(['002_broken.sql']);
    const halfDone = await engine.withSession((s) =>
      s.query<{ t: string | null }>(`SELECT to_regclass('half_done')::text AS t`),
    );
    expect(halfDone).toEqual([{ t: null }]);
  });

  it('StoreReadiness: not ready before init, ready after; a failed migration stops init naming the file', async () => {
    const build = (migrations: Migration[]) =>
      Test.createTestingModule({
        providers: [
          StoreReadiness,
          { provide: STORE_ENGINE, useValue: { ...engine, close: () => Promise.resolve() } },
          { provide: STORE_MIGRATIONS, useValue: migrations },
        ],
      }).compile();
    const extra: Migration[] = [
      { name: '001_initial.sql', sql: 'SELECT 1' },
      { name: '002_more.sql', sql: 'CREATE TABLE readiness_more (id int);' },
    ];
    const moduleRef = await build(extra);
    const sut = moduleRef.get(StoreReadiness);
    await expect(sut.state()).resolves.toEqual({
      ready: false,
      engine: fx.name,
      pendingMigrations: ['002_more.sql'],
    });
    await moduleRef.init();
    await expect(sut.state()).resolves.toEqual({ ready: true, engine: fx.name, pendingMigrations: [] });
    await moduleRef.close();

    const failing = await build([...extra, { name: '003_bad.sql', sql: 'ALTER TABLE nowhere ADD COLUMN x int;' }]);
    await expect(failing.init()).rejects.toThrow(
      'Store migration 003_bad.sql failed: relation "nowhere" does not exist',
    );
  });
});
