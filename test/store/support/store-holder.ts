// Run as a child process by data-dir-lock.e2e-spec.ts: opens the store, migrates, says so, and holds it open.
import { loadMigrations, openStoreEngine, runMigrations, type StoreConnection } from '@app/store';

async function main(): Promise<void> {
  const connection = JSON.parse(process.env.STORE_CONNECTION ?? '') as StoreConnection;
  const engine = await openStoreEngine(connection);
  await engine.withSession((s) => runMigrations(s, loadMigrations()));
  await engine.withSession((s) =>
    s.exec(`CREATE TABLE IF NOT EXISTS holder_mark (pid int); INSERT INTO holder_mark VALUES (${process.pid})`),
  );
  process.stdout.write('open\n');
  setInterval(() => undefined, 60_000);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
