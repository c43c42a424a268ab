import { execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { ROOT } from './support/api-harness';
import { freePort } from './support/free-port';

/** Compiling the demo's TypeScript on the fly takes a while on a busy two-core machine (CI runs two workers). */
const START_MS = 90_000;
const SLOW = START_MS + 60_000;

const run = promisify(execFile);
const TOKEN = 'demo-check-token-0123456789abcdef';

interface Demo {
  port: number;
  output: string;
  curls: string[];
  /** The pid of what was started: node itself, or npm when the demo runs through `npm run demo`. */
  pid: number;
  stop(): Promise<void>;
}

/** `npm run demo` as a user runs it (or its node process alone), on free loopback ports, until it prints its commands. */
async function startDemo(env: Record<string, string>, viaNpm = false): Promise<Demo> {
  const port = await freePort();
  const [command, args] = viaNpm
    ? ['npm', ['run', '--silent', 'demo']]
    : [process.execPath, ['-r', '@swc-node/register', 'scripts/demo.ts']];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      METRICS_PORT: String(await freePort()),
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DEMO_USERS: '20',
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
    }
    await exited;
  };
  const deadline = Date.now() + START_MS;
  while (!output.includes('Ctrl-C stops it.')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the demo did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const curls = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('curl '));
  return { port, output, curls, pid: child.pid ?? 0, stop };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls until nothing listens on the port; false when something still does after the time given. */
async function freed(port: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!(await listening(port))) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

interface Answer {
  count?: number;
  statusCode?: number;
  complete?: boolean;
  accounts?: Array<{ account_id: string; account_name?: string; status: string }>;
  old_access_keys?: Array<{ account_id: string }>;
  access_keys?: Array<{ account_id: string }>;
}

/** Runs a printed command exactly as pasted into a shell. */
async function paste(command: string): Promise<Answer> {
  const { stdout } = await run('bash', ['-c', command], { timeout: 30_000 });
  return JSON.parse(stdout) as Answer;
}

describe('npm run demo', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'leaves nothing behind when npm is stopped by its pid with %s',
    async (signal) => {
      const demo = await startDemo({}, true);
      try {
        expect(await listening(demo.port)).toBe(true);
        process.kill(demo.pid, signal);
        // SIGTERM reaches node directly (npm runs it with exec); after SIGKILL node sees its parent gone.
        expect(await freed(demo.port, 15_000)).toBe(true);
      } finally {
        await demo.stop();
      }
    },
    SLOW,
  );

  it('names the variable to set when its port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'scripts/demo.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          PORT: String(port),
          METRICS_PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          DEMO_USERS: '5',
        },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(
        `Port ${port} is already in use (is another demo still running?). Stop it, or choose a free port: PORT=${port + 1} npm run demo`,
      );
    } finally {
      taken.close();
    }
  }, SLOW);

  it('runs open only because it sets ALLOW_UNAUTHENTICATED=true, says so, and its commands answer', async () => {
    const demo = await startDemo({});
    try {
      expect(demo.output).toContain('ALLOW_UNAUTHENTICATED=true: /v1 is open to anyone who can reach this port');
      expect(demo.curls).toHaveLength(3);
      for (const curl of demo.curls) {
        expect(curl).not.toContain('Authorization');
        expect(await paste(curl)).toMatchObject({ count: expect.any(Number) as number });
      }
    } finally {
      await demo.stop();
    }
  }, SLOW);

  it('shows an organization of three accounts by default, and says so', async () => {
    const demo = await startDemo({});
    try {
      expect(demo.output).toContain(
        'iam-key-monitor demo: an organization of 3 accounts (20 seeded users each), scanned through Organizations and AssumeRole of IamKeyMonitorReadOnly',
      );
      expect(demo.output).toContain('DEMO_ACCOUNTS=1 npm run demo shows a single account instead.');
      for (const curl of demo.curls) {
        const answer = await paste(curl);
        expect(answer.complete).toBe(true);
        expect(answer.accounts?.map((a) => [a.account_id, a.account_name, a.status])).toEqual([
          ['111111111111', 'management', 'ok'],
          ['200000000001', 'member-001', 'ok'],
          ['200000000002', 'member-002', 'ok'],
        ]);
      }
    } finally {
      await demo.stop();
    }
  }, SLOW);

  it('with DEMO_ACCOUNTS=1 shows the single account, and says so', async () => {
    const demo = await startDemo({ DEMO_ACCOUNTS: '1' });
    try {
      expect(demo.output).toContain('iam-key-monitor demo: one account of 20 seeded users');
      for (const curl of demo.curls) {
        const answer = await paste(curl);
        expect(answer.accounts?.map((a) => [a.account_id, a.status])).toEqual([['111111111111', 'ok']]);
        expect(new Set((answer.old_access_keys ?? answer.access_keys)?.map((k) => k.account_id))).toEqual(
          new Set(answer.count ? ['111111111111'] : []),
        );
      }
    } finally {
      await demo.stop();
    }
  }, SLOW);

  it('refuses a DEMO_ACCOUNTS beyond its bound, naming the variable', async () => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'scripts/demo.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', DEMO_ACCOUNTS: '21' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('DEMO_ACCOUNTS must be an integer from 1 to 20, got "21"');
  }, SLOW);

  it('with API_TOKENS set, prints commands that carry the token, and they answer', async () => {
    const demo = await startDemo({ API_TOKENS: `${TOKEN},demo-other-token-0123456789` });
    try {
      expect(demo.output).not.toContain('ALLOW_UNAUTHENTICATED=true: /v1 is open');
      expect(demo.curls).toHaveLength(3);
      for (const curl of demo.curls) {
        expect(curl).toContain(`-H 'Authorization: Bearer ${TOKEN}'`);
        expect(await paste(curl)).toMatchObject({ count: expect.any(Number) as number });
        expect(await paste(curl.replace(` -H 'Authorization: Bearer ${TOKEN}'`, ''))).toMatchObject({
          statusCode: 401,
        });
      }
    } finally {
      await demo.stop();
    }
  }, SLOW);
});
