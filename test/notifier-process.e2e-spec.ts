import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_AWS_ENV, IamEmulator, seedAccount } from '@app/iam-emulator';
import { ROOT } from './support/api-harness';
import { LOG_LEVELS, parseLogLines } from './support/log-lines';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The AWS SDK's notice to Node 20 users (the project runs on 22; the unit tier still runs on 20). */
const NODE_VERSION_WARNING = /^\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?--trace-warnings[^\n]*\n/m;

function runNotifierProcess(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/notifier/src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.replace(NODE_VERSION_WARNING, '') })),
  );
}

describe('the notifier process logs', () => {
  it('a missing variable once, as required, in the API JSON shape, without a stack, and exits 2', async () => {
    const run = await runNotifierProcess({ ...EMULATOR_AWS_ENV, NOTIFIER_SENDER: 'keys@example.com' });

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('');
    expect(parseLogLines(run.stdout)).toEqual([
      expect.objectContaining({
        level: LOG_LEVELS.error,
        context: 'NotifierBootstrap',
        msg: 'Invalid configuration:\n  - NOTIFIER_FALLBACK_RECIPIENTS (unset): NOTIFIER_FALLBACK_RECIPIENTS is required',
      }),
    ]);
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });

  it('a bad LOG_LEVEL by name, with the other problems', async () => {
    const run = await runNotifierProcess({ ...EMULATOR_AWS_ENV, LOG_LEVEL: 'loud' });

    expect(run.code).toBe(2);
    const [line] = parseLogLines(run.stdout);
    expect(line.msg).toContain('LOG_LEVEL ("loud"): LOG_LEVEL must be one of the following values');
    expect(line.msg).toContain('NOTIFIER_SENDER (unset): NOTIFIER_SENDER is required');
  });

  describe('a dry run against the emulator', () => {
    const emulator = new IamEmulator({ account: seedAccount({ seed: 5, users: 30 }) });
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'notifier-process-'));
    });

    afterAll(async () => {
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('as JSON lines with level, time, pid, hostname, context and msg, like the API', async () => {
      const url = await emulator.start();
      const run = await runNotifierProcess({
        ...EMULATOR_AWS_ENV,
        AWS_ENDPOINT_URL_IAM: url,
        // Self mode asks STS which account it is in; nothing may reach the real one.
        AWS_ENDPOINT_URL_STS: url,
        NOTIFIER_SENDER: 'keys@example.com',
        NOTIFIER_FALLBACK_RECIPIENTS: 'security@example.com',
        NOTIFIER_DRY_RUN_DIR: dir,
        DATA_DIR: join(dir, 'store'),
      });

      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      const lines = parseLogLines(run.stdout);
      expect(lines.length).toBeGreaterThan(1);
      for (const line of lines) {
        expect(Object.keys(line).slice(0, 4)).toEqual(['level', 'time', 'pid', 'hostname']);
        expect(typeof line.context).toBe('string');
      }
      expect((await readdir(dir)).filter((f) => f.endsWith('.eml')).length).toBeGreaterThan(0);
      expect(lines.find((l) => l.msg === 'The notifier run finished')).toMatchObject({
        accountsOk: 1,
        accountsFailed: 0,
        accountsSkipped: 0,
        exitCode: 0,
      });
    }, 60_000);
  });
});
