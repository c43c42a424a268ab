import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStoreConfig, StoreEnv } from './store.config';

describe(loadStoreConfig.name, () => {
  it('defaults to the embedded store in ./data, 400 days of history', () => {
    expect(loadStoreConfig({})).toEqual({
      connection: { engine: 'pglite', dataDir: './data', display: 'embedded PostgreSQL in ./data' },
      historyRetentionDays: 400,
    });
  });

  it('uses PostgreSQL when DATABASE_URL is set, and its display form hides the password', () => {
    const config = loadStoreConfig({
      DATABASE_URL: 'postgres://monitor:s3cret@db.internal:5432/keys',
      DATABASE_POOL_MAX: '4',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      DATABASE_CONNECT_TIMEOUT_MS: '1500',
      HISTORY_RETENTION_DAYS: '30',
    });
    expect(config).toEqual({
      connection: {
        engine: 'postgres',
        url: 'postgres://monitor:s3cret@db.internal:5432/keys',
        display: 'postgres://[redacted]@db.internal:5432/keys',
        poolMax: 4,
        statementTimeoutMs: 2000,
        connectTimeoutMs: 1500,
      },
      historyRetentionDays: 30,
    });
  });

  it.each([
    [
      { DATABASE_URL: 'mysql://u:hunter2@h/db' },
      'DATABASE_URL ("mysql://[redacted]@h/db"): DATABASE_URL must be a postgres://',
    ],
    [{ HISTORY_RETENTION_DAYS: '0' }, 'HISTORY_RETENTION_DAYS (0): HISTORY_RETENTION_DAYS must not be less than 1'],
    [{ DATABASE_POOL_MAX: 'many' }, 'DATABASE_POOL_MAX ("many"): DATABASE_POOL_MAX must be an integer number'],
    [
      { DATABASE_STATEMENT_TIMEOUT_MS: '10' },
      'DATABASE_STATEMENT_TIMEOUT_MS (10): DATABASE_STATEMENT_TIMEOUT_MS must not be less than 100',
    ],
    [
      { DATABASE_CONNECT_TIMEOUT_MS: '1e9' },
      'DATABASE_CONNECT_TIMEOUT_MS ("1e9"): DATABASE_CONNECT_TIMEOUT_MS must be an integer number',
    ],
  ])('names the bad variable: %j', (env, problem) => {
    expect(() => loadStoreConfig(env)).toThrow(problem);
  });

  it("never shows a bad URL's password", () => {
    expect(() => loadStoreConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' })).not.toThrow(/hunter2/);
  });
});

describe('the README store table', () => {
  it('lists every store variable with the default the code applies', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The store'), readme.indexOf('### Sharded scans'));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)`\s*\| `?([^`|]+?)`?\s*\|/gm)].map((m) => [m[1], m[2]]);
    const defaults = new StoreEnv() as unknown as Record<string, unknown>;
    const expected = Object.keys(defaults)
      .filter((k) => defaults[k] !== undefined)
      .map((k) => [k, String(defaults[k])]);
    expect(rows).toEqual([['DATABASE_URL', 'unset'], ...expected]);
  });
});
