import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describeStore, repositories } from './support/store-fixture';
import { CRASH_ACCOUNT, CRASH_KEYS } from './support/store-writer';

const ROOT = join(__dirname, '..', '..');

describeStore('a writer killed with SIGKILL in the middle of a write', (fx) => {
  it('leaves no half-written account, and the next scan completes', async () => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'test/store/support/store-writer.ts'], {
      cwd: ROOT,
      env: { ...process.env, STORE_CONNECTION: JSON.stringify(fx.connection()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    // Killed once it has committed one round and is inside the second or third write.
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const round = /writing (\d+)\n$/.exec(out);
        if (round && Number(round[1]) >= 2) {
          setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 100);
        }
      });
      void exited.then(() => reject(new Error(`writer exited early: ${stderr}`)));
    });
    await expect(exited).resolves.toBe('SIGKILL');

    const engine = await fx.openMigrated();
    const repo = repositories(engine);
    const [inv] = await repo.inventory.latest([CRASH_ACCOUNT]);
    expect(inv.keys).toHaveLength(CRASH_KEYS);
    const rounds = new Set(inv.keys.map((k) => k.accessKeyId.slice(5, 9)));
    expect(rounds.size).toBe(1);
    expect(inv.keys.every((k) => k.lastSeen.getTime() === inv.dataReadAt.getTime())).toBe(true);
    // Writing 15,000 keys takes about a second here: a kill 100 ms in lands inside the next scan's write.
    const killed = await repo.scans.get(inv.scanId + 1);
    expect(killed).toMatchObject({ status: 'running', accounts: [{ status: 'pending', keysSeen: 0 }] });
    await expect(repo.scans.finish(inv.scanId + 1, new Date())).resolves.toBe('failed');

    const next = await repo.scans.start({
      source: 'list-users',
      trigger: 'job',
      accounts: [{ accountId: CRASH_ACCOUNT }],
      startedAt: new Date(),
    });
    const key = { ...inv.keys[0], status: 'Inactive' as const };
    await repo.scans.recordAccount({
      scanId: next,
      accountId: CRASH_ACCOUNT,
      readAt: new Date(),
      keys: [key],
      findings: [],
    });
    await expect(repo.scans.finish(next, new Date())).resolves.toBe('complete');
    const [after] = await repo.inventory.latest([CRASH_ACCOUNT]);
    expect(after.keys.map((k) => [k.accessKeyId, k.status])).toEqual([[key.accessKeyId, 'Inactive']]);
  }, 120_000);
});
