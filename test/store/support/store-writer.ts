// Run as a child process by crash.e2e-spec.ts: writes one account's scan after another, each replacing every key,
// and says what it is doing, so the test can kill it with SIGKILL in the middle of a write.
import { loadMigrations, openStoreEngine, runMigrations, type StoreConnection } from '@app/store';
import { repositories } from './store-fixture';

export const CRASH_ACCOUNT = '888888888888';
export const CRASH_KEYS = 15_000;

async function main(): Promise<void> {
  const connection = JSON.parse(process.env.STORE_CONNECTION ?? '') as StoreConnection;
  const engine = await openStoreEngine(connection);
  await engine.withSession((s) => runMigrations(s, loadMigrations()));
  const repo = repositories(engine);
  for (let round = 1; ; round++) {
    const at = new Date(Date.UTC(2026, 0, 1) + round * 60_000);
    const scanId = await repo.scans.start({
      source: 'list-users',
      trigger: 'job',
      accounts: [{ accountId: CRASH_ACCOUNT }],
      startedAt: at,
    });
    const keys = Array.from({ length: CRASH_KEYS }, (_, i) => ({
      userName: `user${i}`,
      accessKeyId: `AKIAR${String(round).padStart(4, '0')}${String(i).padStart(11, '0')}`,
      status: 'Active' as const,
      createdAt: at,
      lastUsedAt: null,
      lastUsedService: null,
      lastUsedRegion: null,
    }));
    process.stdout.write(`writing ${round}\n`);
    await repo.scans.recordAccount({ scanId, accountId: CRASH_ACCOUNT, readAt: at, keys, findings: [] });
    await repo.scans.finish(scanId, at);
    process.stdout.write(`committed ${round}\n`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
