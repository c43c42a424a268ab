import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { NotifierExitCode, RotationNotifierJob } from '@app/notifier';
import { StoreFixture } from '../../../test/store/support/store-fixture';
import { runNotifier } from './run-notifier';

describe(runNotifier.name, () => {
  let saved: NodeJS.ProcessEnv;
  let logger: jest.Mocked<LoggerService>;
  let sut: typeof runNotifier;

  beforeEach(() => {
    saved = { ...process.env };
    logger = { log: jest.fn(), error: jest.fn(), warn: jest.fn(), debug: jest.fn(), verbose: jest.fn() };
    sut = runNotifier;
  });

  afterEach(() => {
    process.env = saved;
    jest.restoreAllMocks();
  });

  it('stops before doing anything when a variable is bad, naming it, with the job-failed exit code', async () => {
    process.env = {
      ...saved,
      NOTIFIER_SENDER: 'keys@example.com',
      NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com',
      NOTIFIER_WARN_AGE_DAYS: '21',
      NOTIFIER_EXPIRE_AGE_DAYS: '20',
    };

    await expect(sut(logger)).resolves.toBe(NotifierExitCode.JobFailed);

    const messages = logger.error.mock.calls.map((c) => String(c[0])).join('\n');
    expect(messages).toMatch(
      /NOTIFIER_WARN_AGE_DAYS \(21\): NOTIFIER_WARN_AGE_DAYS must be below NOTIFIER_EXPIRE_AGE_DAYS \(20\)/,
    );
  });

  it('stops at boot naming a bad store variable', async () => {
    process.env = {
      ...saved,
      NOTIFIER_SENDER: 'keys@example.com',
      NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com',
      DATABASE_URL: 'mysql://db',
    };

    await expect(sut(logger)).resolves.toBe(NotifierExitCode.JobFailed);

    expect(logger.error.mock.calls.map((c) => String(c[0])).join('\n')).toContain('DATABASE_URL');
  });

  it('stops at boot naming a bad account variable: organizations mode without the role to assume', async () => {
    process.env = {
      ...saved,
      NOTIFIER_SENDER: 'keys@example.com',
      NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com',
      ACCOUNTS_SOURCE: 'organizations',
    };
    delete process.env.ACCOUNT_ROLE_NAME;

    await expect(sut(logger)).resolves.toBe(NotifierExitCode.JobFailed);

    expect(logger.error.mock.calls.map((c) => String(c[0])).join('\n')).toContain(
      'ACCOUNT_ROLE_NAME (unset): required with ACCOUNTS_SOURCE=organizations',
    );
  });

  it('stops at boot naming a bad findings variable', async () => {
    process.env = {
      ...saved,
      NOTIFIER_SENDER: 'keys@example.com',
      NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com',
      UNUSED_MAX_DAYS: 'forty',
    };

    await expect(sut(logger)).resolves.toBe(NotifierExitCode.JobFailed);

    expect(logger.error.mock.calls.map((c) => String(c[0])).join('\n')).toContain('UNUSED_MAX_DAYS');
  });

  it('stops at boot on a bad exemptions file, naming its line and field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'notifier-exemptions-'));
    const file = path.join(dir, 'exemptions.yaml');
    writeFileSync(file, 'exemptions:\n  - match: { user_name: a }\n    expires_at: 2026-01-01\n');
    process.env = {
      ...saved,
      AWS_REGION: 'us-east-1',
      NOTIFIER_SENDER: 'keys@example.com',
      NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com',
      EXEMPTIONS_FILE: file,
    };
    try {
      await expect(sut(logger)).resolves.toBe(NotifierExitCode.JobFailed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    expect(logger.error.mock.calls.map((c) => String(c[0])).join('\n')).toContain(
      `EXEMPTIONS_FILE ${file} line 2: exemptions[0].reason: required`,
    );
  });

  it('logs an unexpected failure of the job by its message alone, with the job-failed exit code', async () => {
    const store = new StoreFixture('pglite');
    await store.setup();
    process.env = {
      ...saved,
      AWS_REGION: 'us-east-1',
      NOTIFIER_SENDER: 'keys@example.com',
      NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com',
      // The embedded store of its own: never the working folder's ./data, which a running API may hold.
      DATA_DIR: store.dir,
    };
    jest.spyOn(RotationNotifierJob.prototype, 'run').mockRejectedValue(new TypeError('boom'));

    try {
      await expect(sut(logger)).resolves.toBe(NotifierExitCode.JobFailed);
    } finally {
      await store.teardown();
    }

    expect(logger.error.mock.calls).toEqual([['The job failed unexpectedly: boom', 'NotifierJob']]);
  }, 60_000);
});
