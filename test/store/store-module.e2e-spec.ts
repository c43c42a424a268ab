import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConsoleLogger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { sql } from 'drizzle-orm';
import { openStoreEngine, ScansRepository, StoreModule, StoreReadiness } from '@app/store';
import { describeStore } from './support/store-fixture';

class CapturingLogger extends ConsoleLogger {
  readonly lines: string[] = [];
  override log(message: unknown, context?: string) {
    this.lines.push(`${context ?? ''} ${String(message)}`);
  }
  override error(message: unknown) {
    this.lines.push(String(message));
  }
  override warn(message: unknown) {
    this.lines.push(String(message));
  }
}

const ENV_KEYS = ['DATABASE_URL', 'DATA_DIR', 'HISTORY_RETENTION_DAYS'];

async function boot(env: Record<string, string>, logger = new CapturingLogger()) {
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  ENV_KEYS.forEach((k) => delete process.env[k]);
  Object.assign(process.env, env);
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true }), StoreModule],
    })
      .setLogger(logger)
      .compile();
    return await moduleRef.init();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) {
        delete process.env[k];
      } else {
        process.env[k] = v;
      }
    }
  }
}

describeStore('StoreModule', (fx) => {
  it('opens the configured engine, migrates at init, logs no password, and closes at shutdown', async () => {
    let env: Record<string, string>;
    if (fx.name === 'pglite') {
      env = { DATA_DIR: fx.dir };
    } else {
      // Trust auth ignores the password, which lets the test check it never reaches the log.
      const url = new URL((fx.connection() as { url: string }).url);
      url.password = 'never-logged-pw';
      env = { DATABASE_URL: url.toString() };
    }
    const logger = new CapturingLogger();
    const app = await boot(env, logger);
    await expect(app.get(StoreReadiness).state()).resolves.toEqual({
      ready: true,
      engine: fx.name,
      pendingMigrations: [],
    });
    const scans = app.get(ScansRepository);
    const id = await scans.start({ source: 'list-users', trigger: 'startup', accounts: [], startedAt: new Date() });
    await expect(scans.finish(id, new Date())).resolves.toBe('complete');
    const ready = logger.lines.find((l) => l.includes('Store ready'));
    expect(ready).toContain(fx.name === 'pglite' ? `embedded PostgreSQL in ${fx.dir}` : 'postgres://[redacted]@');
    expect(ready).toContain('applied 001_initial.sql');
    expect(logger.lines.join('\n')).not.toContain('never-logged-pw');
    await app.close();
    await expect(scans.get(id)).rejects.toThrow();

    const again = await boot(env);
    await expect(again.get(ScansRepository).get(id)).resolves.toMatchObject({ id, status: 'complete' });
    await again.close();
  }, 60_000);

  it('stops boot naming the bad variable', async () => {
    await expect(boot({ DATABASE_URL: 'mysql://u:pw@h/db' })).rejects.toThrow(
      'DATABASE_URL ("mysql://[redacted]@h/db"): DATABASE_URL must be a postgres:// or postgresql:// URL',
    );
  });

  if (fx.name === 'postgres') {
    it('DATABASE_STATEMENT_TIMEOUT_MS cancels a statement that runs longer', async () => {
      const engine = await fx.open({ statementTimeoutMs: 300 });
      const started = Date.now();
      await expect(engine.db.execute(sql`SELECT pg_sleep(10)`)).rejects.toThrow(
        expect.objectContaining({ cause: expect.objectContaining({ code: '57014' }) }) as Error,
      );
      expect(Date.now() - started).toBeLessThan(8_000);
      await expect(engine.db.execute(sql`SELECT 1 AS one`)).resolves.toBeDefined();
      await fx.close(engine);
    });

    it('DATABASE_POOL_MAX bounds the connections one process opens', async () => {
      const engine = await fx.open({ poolMax: 2 });
      const counts = await Promise.all(
        Array.from({ length: 6 }, () =>
          engine.db.execute(
            sql`SELECT count(*)::int AS n, pg_sleep(0.2) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = 'iam-key-monitor'`,
          ),
        ),
      );
      // Only this engine is connected to this test's database at this moment.
      const peak = Math.max(...counts.map((r) => (r as { rows: Array<{ n: number }> }).rows[0].n));
      expect(peak).toBe(2);
    });
  }
});

describe('DATABASE_CONNECT_TIMEOUT_MS', () => {
  let server: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts the connection and never answers, as a server behind a black-holing firewall would.
    server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up on a server that never answers, naming it without the password', async () => {
    const { port } = server.address() as AddressInfo;
    const started = Date.now();
    const open = openStoreEngine({
      engine: 'postgres',
      url: `postgres://monitor:pw-secret@127.0.0.1:${port}/keys`,
      display: `postgres://[redacted]@127.0.0.1:${port}/keys`,
      poolMax: 1,
      statementTimeoutMs: 1_000,
      connectTimeoutMs: 300,
    });
    await expect(open).rejects.toThrow(`Cannot connect to PostgreSQL at postgres://[redacted]@127.0.0.1:${port}/keys:`);
    await expect(open).rejects.not.toThrow(/pw-secret/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
