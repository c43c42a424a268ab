import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from './support/api-harness';

const run = promisify(execFile);
const TOKEN = 'demo-check-token-0123456789abcdef';

interface Demo {
  output: string;
  curls: string[];
  stop(): Promise<void>;
}

/** `npm run demo` as a user runs it, on free loopback ports, until it prints its commands. */
async function startDemo(env: Record<string, string>): Promise<Demo> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'scripts/demo.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      METRICS_PORT: String(port + 20_000),
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
  const deadline = Date.now() + 30_000;
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
  return { output, curls, stop };
}

/** Runs a printed command exactly as pasted into a shell. */
async function paste(command: string): Promise<{ count?: number; statusCode?: number }> {
  const { stdout } = await run('bash', ['-c', command], { timeout: 30_000 });
  return JSON.parse(stdout) as { count?: number; statusCode?: number };
}

describe('npm run demo', () => {
  it('runs open only because it sets ALLOW_UNAUTHENTICATED=true, says so, and its commands answer', async () => {
    const demo = await startDemo({});
    try {
      expect(demo.output).toContain('ALLOW_UNAUTHENTICATED=true: /v1 is open to anyone who can reach this port');
      expect(demo.curls).toHaveLength(2);
      for (const curl of demo.curls) {
        expect(curl).not.toContain('Authorization');
        expect(await paste(curl)).toMatchObject({ count: expect.any(Number) as number });
      }
    } finally {
      await demo.stop();
    }
  }, 60_000);

  it('with API_TOKENS set, prints commands that carry the token, and they answer', async () => {
    const demo = await startDemo({ API_TOKENS: `${TOKEN},demo-other-token-0123456789` });
    try {
      expect(demo.output).not.toContain('ALLOW_UNAUTHENTICATED=true: /v1 is open');
      expect(demo.curls).toHaveLength(2);
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
  }, 60_000);
});
