import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Every child the bench started, so an exit, a crash or Ctrl-C never leaves one behind. */
const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function killAllChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
    }
  }
  children.clear();
}

/** Kills the children on any way out of the process: normal exit, uncaught error, SIGINT, SIGTERM. */
export function installChildCleanup(): void {
  process.once('exit', () => killAllChildren());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
      killAllChildren();
      process.exit(130);
    });
  }
}

/** Asks a child to stop, then kills it if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Forks a TypeScript module of the bench (through swc) as a tracked child with an IPC channel, and resolves once
 * it says it is ready: its first message.
 */
export async function forkReady(file: string, what: string, nodeFlags: string[] = [], env?: NodeJS.ProcessEnv) {
  const child = track(
    fork(path.join(__dirname, file), [], {
      execArgv: ['-r', '@swc-node/register', ...nodeFlags],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      ...(env ? { env } : {}),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${what} exited during start (${code})`));
    child.once('exit', onExit);
    child.once('message', () => {
      child.off('exit', onExit);
      resolve();
    });
  });
  return child;
}
