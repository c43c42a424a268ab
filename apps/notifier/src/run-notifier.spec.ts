import type { LoggerService } from '@nestjs/common';
import { NotifierExitCode, RotationNotifierJob } from '@app/notifier';
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

  it('logs an unexpected failure of the job by its message alone, with the job-failed exit code', async () => {
    process.env = {
      ...saved,
      AWS_REGION: 'us-east-1',
      NOTIFIER_SENDER: 'keys@example.com',
      NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com',
    };
    jest.spyOn(RotationNotifierJob.prototype, 'run').mockRejectedValue(new TypeError('boom'));

    await expect(sut(logger)).resolves.toBe(NotifierExitCode.JobFailed);

    expect(logger.error.mock.calls).toEqual([['The job failed unexpectedly: boom', 'NotifierJob']]);
  });
});
