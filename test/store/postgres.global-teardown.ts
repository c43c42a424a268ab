import { execFileSync } from 'node:child_process';
import { CI_POSTGRES_SCRIPT } from './postgres.global-setup';

export default function stopThrowawayPostgres(): void {
  const server = globalThis.__STORE_THROWAWAY_POSTGRES__;
  if (!server) {
    return;
  }
  execFileSync('bash', [CI_POSTGRES_SCRIPT, 'stop'], {
    env: { ...process.env, PG_DIR: server.dir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  delete process.env.TEST_DATABASE_URL;
  globalThis.__STORE_THROWAWAY_POSTGRES__ = undefined;
}
