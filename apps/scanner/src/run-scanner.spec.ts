import type { LoggerService } from '@nestjs/common';
import type { ScanOutcome } from '@app/scans';
import { checkShardedStore, exitCodeOf, runScanner, ScannerExitCode } from './run-scanner';

const outcome = (over: Partial<ScanOutcome>): ScanOutcome => ({
  scanId: 1,
  status: 'complete',
  accountsOk: 3,
  accountsFailed: 0,
  accountsSkipped: 0,
  keys: 10,
  ...over,
});

describe(exitCodeOf.name, () => {
  it.each([
    ['complete', outcome({}), ScannerExitCode.Ok],
    ['complete with skipped accounts', outcome({ accountsSkipped: 2 }), ScannerExitCode.Ok],
    ['partial', outcome({ status: 'partial', accountsOk: 2, accountsFailed: 1 }), ScannerExitCode.AccountsFailed],
    ['failed', outcome({ status: 'failed', accountsOk: 0, accountsFailed: 3 }), ScannerExitCode.AccountsFailed],
    ['a joined scan that ended unfinished', null, ScannerExitCode.JobFailed],
  ])('%s -> %s', (_, value, code) => {
    expect(exitCodeOf(value)).toBe(code);
  });
});

describe(checkShardedStore.name, () => {
  it('refuses more than one shard on the embedded store, naming DATABASE_URL', () => {
    expect(() => checkShardedStore({ SCAN_SHARD_COUNT: '3', JOB_COMPLETION_INDEX: '0' })).toThrow(
      /DATABASE_URL \(unset\): required with SCAN_SHARD_COUNT 3/,
    );
  });

  it.each([
    ['one process, embedded store', {}],
    ['one shard, embedded store', { SCAN_SHARD_COUNT: '1', JOB_COMPLETION_INDEX: '0' }],
    [
      'three shards on PostgreSQL',
      { SCAN_SHARD_COUNT: '3', JOB_COMPLETION_INDEX: '2', DATABASE_URL: 'postgres://db/x' },
    ],
  ])('accepts %s', (_, env) => {
    expect(() => checkShardedStore(env)).not.toThrow();
  });
});

describe(runScanner.name, () => {
  let saved: NodeJS.ProcessEnv;
  let logger: jest.Mocked<LoggerService>;

  beforeEach(() => {
    saved = { ...process.env };
    logger = { log: jest.fn(), error: jest.fn(), warn: jest.fn(), debug: jest.fn(), verbose: jest.fn() };
  });

  afterEach(() => {
    process.env = saved;
  });

  const errors = () => logger.error.mock.calls.map((c) => String(c[0])).join('\n');

  it('stops before Nest, with the job-failed exit code, naming a bad shard variable', async () => {
    process.env = { ...saved, SCAN_SHARD_COUNT: '3' };
    delete process.env.JOB_COMPLETION_INDEX;

    await expect(runScanner(logger)).resolves.toBe(ScannerExitCode.JobFailed);

    expect(errors()).toBe('Invalid configuration:\n  - JOB_COMPLETION_INDEX (unset): JOB_COMPLETION_INDEX is required');
    expect(logger.log).not.toHaveBeenCalled();
  });

  it('an index outside the shards', async () => {
    process.env = { ...saved, SCAN_SHARD_COUNT: '3', JOB_COMPLETION_INDEX: '3', DATABASE_URL: 'postgres://db/x' };

    await expect(runScanner(logger)).resolves.toBe(ScannerExitCode.JobFailed);

    expect(errors()).toContain('JOB_COMPLETION_INDEX 3 must be below SCAN_SHARD_COUNT 3');
  });

  it('a sharded scan without PostgreSQL', async () => {
    process.env = { ...saved, SCAN_SHARD_COUNT: '2', JOB_COMPLETION_INDEX: '1' };
    delete process.env.DATABASE_URL;

    await expect(runScanner(logger)).resolves.toBe(ScannerExitCode.JobFailed);

    expect(errors()).toContain('DATABASE_URL (unset): required with SCAN_SHARD_COUNT 2');
  });

  it('a bad account variable: organizations mode without the role to assume', async () => {
    process.env = { ...saved, ACCOUNTS_SOURCE: 'organizations' };
    delete process.env.ACCOUNT_ROLE_NAME;

    await expect(runScanner(logger)).resolves.toBe(ScannerExitCode.JobFailed);

    expect(errors()).toContain('ACCOUNT_ROLE_NAME (unset): required with ACCOUNTS_SOURCE=organizations');
  });
});
