import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** In DATA_DIR, beside PGlite's files (PostgreSQL ignores files it does not know in its data folder). */
export const DATA_DIR_LOCK_FILE = 'iam-key-monitor.lock';
/** The holder touches its lock this often, so a process on another host (a pod) can tell it is alive. */
export const DATA_DIR_LOCK_HEARTBEAT_MS = 10_000;
/** A lock from another host not touched for this long belongs to a process that is gone. */
export const DATA_DIR_LOCK_STALE_MS = 3 * DATA_DIR_LOCK_HEARTBEAT_MS;

interface LockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
  token: string;
}

export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';

  constructor(
    readonly dataDir: string,
    readonly holder: { pid: number | null; hostname: string | null },
  ) {
    const who =
      holder.pid === null
        ? 'another process'
        : `process ${holder.pid}${holder.hostname && holder.hostname !== hostname() ? ` on host ${holder.hostname}` : ''}`;
    super(
      `DATA_DIR ${dataDir} is in use by ${who} (lock file ${join(dataDir, DATA_DIR_LOCK_FILE)}): the embedded store ` +
        'is single-process; stop that process, or set DATABASE_URL (PostgreSQL) to run several processes',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock if it is still this process's; safe to call twice. */
  release(): void;
}

// Paths this process holds: a second open in the same process is refused too (PGlite would corrupt the folder).
const held = new Set<string>();

/**
 * Takes DATA_DIR for this process alone, or throws DataDirLockedError naming the holder. The lock is a file made
 * with O_EXCL holding the pid; one left by a dead process (SIGKILL, OOM kill) is taken over. A process on another
 * host (another container on a shared volume) cannot be probed by pid, so there the heartbeat decides.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  if (held.has(path)) {
    throw new DataDirLockedError(dataDir, { pid: process.pid, hostname: hostname() });
  }
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  // Two rounds: create, or find a stale lock and remove it; a second EEXIST means someone else just won.
  for (let round = 0; ; round++) {
    if (createExclusive(path, `${JSON.stringify(me)}\n`)) {
      break;
    }
    const seen = readHolder(path);
    if (seen === 'gone') {
      continue;
    }
    if (round > 0 || isAlive(path, seen)) {
      throw lockedBy(dataDir, seen);
    }
    takeOver(dataDir, path, seen);
  }
  held.add(path);
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // The folder went away; the store's own errors say so.
    }
  }, DATA_DIR_LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    path,
    release: () => {
      if (released) {
        return;
      }
      released = true;
      clearInterval(heartbeat);
      held.delete(path);
      const current = readHolder(path);
      if (current !== 'gone' && current !== null && current.token === me.token) {
        unlinkSync(path);
      }
    },
  };
}

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder, null when the file cannot be read as one (being written, or garbled), 'gone' when it vanished. */
function readHolder(path: string): LockHolder | null | 'gone' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return 'gone';
    }
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.hostname === 'string' && typeof parsed.token === 'string') {
      return parsed as LockHolder;
    }
  } catch {
    // falls through
  }
  return null;
}

function touchedWithin(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < ms;
  } catch {
    return false;
  }
}

function isAlive(path: string, holder: LockHolder | null): boolean {
  if (holder === null || holder.hostname !== hostname()) {
    return touchedWithin(path, DATA_DIR_LOCK_STALE_MS);
  }
  // Our own pid, yet not held here: an earlier run with the same pid (PID 1 of a restarted container), or PID 1
  // of another container sharing this host name (host network). Only the heartbeat tells them apart.
  if (holder.pid === process.pid) {
    return touchedWithin(path, DATA_DIR_LOCK_STALE_MS);
  }
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by another user.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes a stale lock under a guard file, so two processes taking over the same stale lock cannot both remove
 * it (the second would delete the first one's fresh lock). The guard's loser reports the lock as held.
 */
function takeOver(dataDir: string, path: string, stale: LockHolder | null): void {
  const guard = `${path}.takeover`;
  if (!createExclusive(guard, String(process.pid))) {
    if (touchedWithin(guard, DATA_DIR_LOCK_STALE_MS)) {
      throw lockedBy(dataDir, stale);
    }
    // Left by a process that died in the middle of a takeover.
    unlinkQuietly(guard);
    if (!createExclusive(guard, String(process.pid))) {
      throw lockedBy(dataDir, stale);
    }
  }
  try {
    const now = readHolder(path);
    if (now === 'gone') {
      return;
    }
    if (now?.token !== stale?.token || (now !== null && isAlive(path, now))) {
      throw lockedBy(dataDir, now);
    }
    unlinkQuietly(path);
  } finally {
    unlinkQuietly(guard);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw err;
    }
  }
}

function lockedBy(dataDir: string, holder: LockHolder | null | 'gone'): DataDirLockedError {
  return new DataDirLockedError(dataDir, holder === null || holder === 'gone' ? { pid: null, hostname: null } : holder);
}
