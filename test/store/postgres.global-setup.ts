import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port';

export interface ThrowawayPostgres {
  dir: string;
  port: number;
}

declare global {
  var __STORE_THROWAWAY_POSTGRES__: ThrowawayPostgres | undefined;
}

export const CI_POSTGRES_SCRIPT = join(__dirname, '..', '..', 'scripts', 'ci-postgres.sh');

function debianPostgresInstalled(): boolean {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => existsSync(join(root, v, 'bin', 'initdb')));
}

/**
 * `npm test` on a machine with Debian's postgresql package and no TEST_DATABASE_URL: a throwaway server for the
 * store suite (initdb in a temp folder, a free port on 127.0.0.1), stopped by the global teardown. Without the
 * package the suite's PostgreSQL half fails saying how to get one.
 */
export default async function startThrowawayPostgres(): Promise<void> {
  if (process.env.TEST_DATABASE_URL || process.env.STORE_TESTS_EMBEDDED_ONLY === '1' || !debianPostgresInstalled()) {
    return;
  }
  const server: ThrowawayPostgres = {
    dir: join(tmpdir(), `iam-key-monitor-jest-pg-${process.pid}-${Date.now()}`),
    port: await freePort(),
  };
  const url = execFileSync('bash', [CI_POSTGRES_SCRIPT, 'start'], {
    env: { ...process.env, PG_DIR: server.dir, PG_PORT: String(server.port) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  globalThis.__STORE_THROWAWAY_POSTGRES__ = server;
  // Workers start after global setup and inherit this.
  process.env.TEST_DATABASE_URL = url;
}
