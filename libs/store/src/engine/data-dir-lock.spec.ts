import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acquireDataDirLock,
  DATA_DIR_LOCK_FILE,
  DATA_DIR_LOCK_HEARTBEAT_MS,
  DATA_DIR_LOCK_STALE_MS,
  DataDirLockedError,
} from './data-dir-lock';

const lockLine = (pid: number, host = hostname(), token = 'feedfacecafebeef') =>
  `${JSON.stringify({ pid, hostname: host, startedAt: '2026-01-01T00:00:00.000Z', token })}\n`;

/** A pid no process has: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe(acquireDataDirLock.name, () => {
  let dir: string;
  let lockPath: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
    lockPath = join(dir, DATA_DIR_LOCK_FILE);
  });
  afterEach(() => {
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the lock holding this pid and host, refuses a second open in this process, removes it on release', () => {
    const sut = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(() => acquireDataDirLock(dir)).toThrow(DataDirLockedError);
    sut.release();
    sut.release();
    expect(existsSync(lockPath)).toBe(false);
    acquireDataDirLock(dir).release();
  });

  it('refuses a lock held by a live process, naming DATA_DIR, the pid and DATABASE_URL', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(lockPath, lockLine(holder.pid!));
      expect(() => acquireDataDirLock(dir)).toThrow(
        `DATA_DIR ${dir} is in use by process ${holder.pid} (lock file ${lockPath}): the embedded store is ` +
          'single-process; stop that process, or set DATABASE_URL (PostgreSQL) to run several processes',
      );
      expect(readFileSync(lockPath, 'utf8')).toBe(lockLine(holder.pid!));
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.on('exit', resolve));
    }
  });

  it('takes over the lock of a dead process', async () => {
    writeFileSync(lockPath, lockLine(await deadPid()));
    const sut = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    sut.release();
  });

  it('takes over a lock holding its own pid once its heartbeat is stale (PID 1 of a restarted container)', () => {
    writeFileSync(lockPath, lockLine(process.pid, hostname(), 'an-earlier-run'));
    // Fresh, it may be PID 1 of another container with this host name (host network): refused.
    expect(() => acquireDataDirLock(dir)).toThrow(`in use by process ${process.pid}`);
    const old = new Date(Date.now() - DATA_DIR_LOCK_STALE_MS - 1_000);
    utimesSync(lockPath, old, old);
    const sut = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).not.toMatchObject({ token: 'an-earlier-run' });
    sut.release();
  });

  it('another host: refused while its heartbeat is fresh, taken over once it is older than the stale age', () => {
    writeFileSync(lockPath, lockLine(1, 'other-pod'));
    expect(() => acquireDataDirLock(dir)).toThrow(`in use by process 1 on host other-pod`);
    const old = new Date(Date.now() - DATA_DIR_LOCK_STALE_MS - 1_000);
    utimesSync(lockPath, old, old);
    acquireDataDirLock(dir).release();
  });

  it('the holder touches its lock every heartbeat, so another host never finds it stale', () => {
    jest.useFakeTimers({ doNotFake: ['performance'] });
    const sut = acquireDataDirLock(dir);
    const old = new Date(Date.now() - DATA_DIR_LOCK_STALE_MS - 1_000);
    utimesSync(lockPath, old, old);
    jest.advanceTimersByTime(DATA_DIR_LOCK_HEARTBEAT_MS - 1);
    expect(statSync(lockPath).mtimeMs).toBeLessThan(old.getTime() + 1_000);
    jest.advanceTimersByTime(1);
    expect(statSync(lockPath).mtimeMs).toBeGreaterThan(old.getTime() + DATA_DIR_LOCK_STALE_MS);
    sut.release();
  });

  it('a garbled lock (its writer died before writing) is respected while fresh and taken over when stale', () => {
    writeFileSync(lockPath, '');
    expect(() => acquireDataDirLock(dir)).toThrow(`in use by another process`);
    const old = new Date(Date.now() - DATA_DIR_LOCK_STALE_MS - 1_000);
    utimesSync(lockPath, old, old);
    acquireDataDirLock(dir).release();
  });

  it('a fresh takeover guard means another process is taking over: refused; a stale one is cleared', async () => {
    writeFileSync(lockPath, lockLine(await deadPid()));
    writeFileSync(`${lockPath}.takeover`, '12345');
    expect(() => acquireDataDirLock(dir)).toThrow(DataDirLockedError);
    const old = new Date(Date.now() - DATA_DIR_LOCK_STALE_MS - 1_000);
    utimesSync(`${lockPath}.takeover`, old, old);
    acquireDataDirLock(dir).release();
    expect(existsSync(`${lockPath}.takeover`)).toBe(false);
  });
});
