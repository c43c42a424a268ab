import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { summarize } from '@app/remediation';
import { exitCodeOf, RemediatorExitCode, runRemediator } from './run-remediator';

describe(runRemediator.name, () => {
  let saved: NodeJS.ProcessEnv;
  let logger: jest.Mocked<LoggerService>;

  beforeEach(() => {
    saved = { ...process.env };
    logger = { log: jest.fn(), error: jest.fn(), warn: jest.fn(), debug: jest.fn(), verbose: jest.fn() };
  });

  afterEach(() => {
    process.env = saved;
  });

  it('stops before doing anything when a variable is bad, naming each, with the job-failed exit code', async () => {
    process.env = {
      ...saved,
      NOTIFIER_SENDER: 'keys@example.com',
      NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com',
      REMEDIATION_MODE: 'yes',
      REMEDIATION_WINDOW: 'Fri-Mon 09-16',
    };

    await expect(runRemediator(logger)).resolves.toBe(RemediatorExitCode.JobFailed);

    const messages = logger.error.mock.calls.map((c) => String(c[0])).join('\n');
    expect(messages).toContain('REMEDIATION_MODE ("yes"): REMEDIATION_MODE must be one of off, dry-run, enforce');
    expect(messages).toContain('REMEDIATION_WINDOW ("Fri-Mon 09-16"): the range Fri-Mon runs backwards');
  });

  it('off by default: boots, reads and does nothing, exit 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'remediator-off-'));
    process.env = {
      ...saved,
      NOTIFIER_SENDER: 'keys@example.com',
      NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com',
      DATA_DIR: dir,
    };
    delete process.env.REMEDIATION_MODE;
    try {
      await expect(runRemediator(logger)).resolves.toBe(RemediatorExitCode.Ok);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(logger.error).not.toHaveBeenCalled();
  }, 30_000);
});

describe(exitCodeOf.name, () => {
  const decisions = (outcome: 'deactivated' | 'failed' | 'refused', reason = 'x') => [{ outcome, reason }];

  it.each([
    ['a complete run', summarize(1, 'enforce', 'complete', decisions('deactivated'), 2, 0), RemediatorExitCode.Ok],
    ['outside the window', summarize(1, 'enforce', 'refused', decisions('refused', 'outside-window'), 0, 0), 0],
    ['over the maximum', summarize(1, 'enforce', 'refused', decisions('refused', 'over-max-per-run'), 1, 0), 1],
    ['a failed action', summarize(1, 'enforce', 'complete', decisions('failed'), 1, 0), 1],
    ['the kill switch', summarize(1, 'enforce', 'stopped', decisions('refused', 'kill-switch'), 1, 0), 1],
    ['a run the kill switch kept from starting', summarize(1, 'enforce', 'stopped', [], 0, 0, { reason: 'INC-1' }), 1],
    ['a mail not sent', summarize(1, 'enforce', 'complete', decisions('deactivated'), 1, 1), 1],
  ])('%s gives %s', (_, summary, code) => {
    expect(exitCodeOf(summary)).toBe(code);
  });
});
