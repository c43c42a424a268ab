import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { IamErrorCode } from '../errors/iam.exception';
import { ScanDeadline, unlessAborted } from './scan-deadline';

const run = promisify(execFile);

/** Forty requests of one scan waiting on its signal, in a process of their own: Jest's sandbox hides Node's warnings. */
const WIDE_SCAN = `
  const { ScanDeadline, unlessAborted } = require(${JSON.stringify(path.join(__dirname, 'scan-deadline.ts'))});
  const deadline = new ScanDeadline(50);
  const never = new Promise(() => undefined);
  const keepAlive = setTimeout(() => undefined, 5000); // the deadline's own timer does not hold the process
  Promise.allSettled(Array.from({ length: 40 }, (_, i) => unlessAborted(never, deadline.signal, 'Call' + i)))
    .then((outcomes) => {
      console.log(outcomes.filter((o) => o.status === 'rejected').length);
      clearTimeout(keepAlive);
    });
`;

describe(ScanDeadline.name, () => {
  it('ends every request waiting on it with 504 IAM_TIMEOUT', async () => {
    const sut = new ScanDeadline(50);
    try {
      const never = new Promise<never>(() => undefined);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => unlessAborted(never, sut.signal, `Call${i}`)),
      );
      expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as { code?: string }).code)).toEqual(
        Array.from({ length: 40 }, () => IamErrorCode.Timeout),
      );
    } finally {
      sut.dispose();
    }
  });

  it('takes a listener per request of a wide scan without a MaxListenersExceededWarning', async () => {
    const { stdout, stderr } = await run(process.execPath, ['-r', '@swc-node/register', '-e', WIDE_SCAN], {
      cwd: path.resolve(__dirname, '../../../..'),
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('40');
    expect(stderr).not.toContain('MaxListenersExceededWarning');
  }, 30_000);
});
