import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { DATA_DIR_LOCK_FILE, openStoreEngine } from '@app/store';
import { StoreFixture } from './support/store-fixture';

const ROOT = join(__dirname, '..', '..');

function startHolder(fx: StoreFixture): { child: ChildProcess; opened: Promise<void>; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'test/store/support/store-holder.ts'], {
    cwd: ROOT,
    env: { ...process.env, STORE_CONNECTION: JSON.stringify(fx.connection()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const opened = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
    void exited.then(() => reject(new Error(`holder exited: ${stderr}`)));
  });
  return { child, opened, exited };
}

describe('the embedded store is one process per DATA_DIR', () => {
  const fx = new StoreFixture('pglite');
  beforeAll(() => fx.setup());
  afterAll(() => fx.teardown());

  it('a second process is refused while the first holds it, and takes it over once the first was killed', async () => {
    const holder = startHolder(fx);
    await holder.opened;
    const pid = holder.child.pid!;

    await expect(openStoreEngine(fx.connection())).rejects.toThrow(
      `DATA_DIR ${fx.dir} is in use by process ${pid} (lock file ${join(fx.dir, DATA_DIR_LOCK_FILE)}): ` +
        'the embedded store is single-process; stop that process, or set DATABASE_URL (PostgreSQL) to run several processes',
    );

    // SIGKILL leaves the lock behind, holding a dead pid: the next process takes it over, and the data is there.
    holder.child.kill('SIGKILL');
    await expect(holder.exited).resolves.toBe('SIGKILL');
    expect(existsSync(join(fx.dir, DATA_DIR_LOCK_FILE))).toBe(true);
    const engine = await fx.open();
    const marks = await engine.db.execute(sql`SELECT pid FROM holder_mark`);
    expect((marks as { rows: Array<{ pid: number }> }).rows).toEqual([{ pid }]);

    // Now this process holds it: a new holder process is refused, naming this pid.
    const second = startHolder(fx);
    await expect(second.opened).rejects.toThrow(`is in use by process ${process.pid}`);
    await fx.close(engine);
    expect(existsSync(join(fx.dir, DATA_DIR_LOCK_FILE))).toBe(false);
  }, 120_000);
});
