import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, type SqlSession } from '../engine/store-engine';

/**
 * Where the .sql files are: beside the bundle in a build (`nest build` copies them to dist/apps/<app>/migrations,
 * nest-cli.json `assets`, and webpack keeps __dirname the bundle's folder), else in the sources.
 */
export function resolveMigrationsDir(dirname: string = __dirname): string {
  const bundled = join(dirname, 'migrations');
  return existsSync(bundled) ? bundled : join(dirname, '..', 'migrations');
}

export const MIGRATIONS_DIR = resolveMigrationsDir();
const MIGRATION_FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;
// Any constant shared by every replica: pg_advisory_lock takes a bigint.
const MIGRATION_LOCK_KEY = '7236913001';

export interface Migration {
  name: string;
  sql: string;
}

export class MigrationError extends Error {
  constructor(
    readonly file: string,
    cause: string,
  ) {
    super(`Store migration ${file} failed: ${cause}`);
    this.name = 'MigrationError';
  }
}

/** The numbered .sql files in order; a gap or a duplicate number is a mistake to stop on. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  return files.map((name, index) => {
    const match = MIGRATION_FILE.exec(name);
    if (!match) {
      throw new MigrationError(name, 'its name must look like 001_what_it_does.sql');
    }
    if (Number(match[1]) !== index + 1) {
      throw new MigrationError(name, `expected number ${String(index + 1).padStart(3, '0')} here`);
    }
    return { name, sql: readFileSync(join(dir, name), 'utf8') };
  });
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS store_migrations (
  name text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

async function appliedNames(session: SqlSession): Promise<Set<string>> {
  const exists = await session.query<{ t: string | null }>(`SELECT to_regclass('store_migrations')::text AS t`);
  if (!exists[0]?.t) {
    return new Set();
  }
  const rows = await session.query<{ name: string }>('SELECT name FROM store_migrations');
  return new Set(rows.map((r) => r.name));
}

export async function pendingMigrations(session: SqlSession, migrations: Migration[]): Promise<string[]> {
  const applied = await appliedNames(session);
  return migrations.filter((m) => !applied.has(m.name)).map((m) => m.name);
}

/**
 * Applies what is pending, each file in its own transaction, holding an advisory lock so replicas booting
 * together take turns: the second finds nothing left to do. Returns the names it applied.
 */
export async function runMigrations(session: SqlSession, migrations: Migration[]): Promise<string[]> {
  // A migration may take longer than a request may; the pool's default comes back with RESET.
  await session.exec('SET statement_timeout = 0');
  await session.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  try {
    await session.exec(CREATE_TABLE);
    const applied = await appliedNames(session);
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.name)) {
        continue;
      }
      await session.exec('BEGIN');
      try {
        await session.exec(migration.sql);
        await session.query('INSERT INTO store_migrations (name) VALUES ($1)', [migration.name]);
        await session.exec('COMMIT');
      } catch (err) {
        await session.exec('ROLLBACK');
        throw new MigrationError(migration.name, describeError(err));
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    await session.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await session.exec('RESET statement_timeout');
  }
}
