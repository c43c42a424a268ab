import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { accountsConfig } from '@app/accounts';
import { checkExemptionsFile, findingsConfig } from '@app/findings';
import { iamConfig } from '@app/iam';
import { createJobLogger, EnvValidationError, jobLoggingConfig, validateAll } from '@app/platform';
import { InventoryScanRunner, loadScansConfig, scansConfig, shardLabel, type ScanOutcome } from '@app/scans';
import { loadStoreConfig, storeConfig } from '@app/store';
import { ScannerAppModule } from './scanner-app.module';

export enum ScannerExitCode {
  /** The scan of this process's shard is complete: every account's part recorded (skipped ones aside). */
  Ok = 0,
  /** The scan ended with failed accounts (partial), or none recorded (failed): what was recorded is kept. */
  AccountsFailed = 1,
  /** Bad configuration, boot failure, or the scan could not run (store, Organizations, a joined scan lost). */
  JobFailed = 2,
}

export function exitCodeOf(outcome: ScanOutcome | null): ScannerExitCode {
  if (outcome === null) {
    return ScannerExitCode.JobFailed;
  }
  return outcome.status === 'complete' && outcome.accountsFailed === 0
    ? ScannerExitCode.Ok
    : ScannerExitCode.AccountsFailed;
}

/**
 * Shards of one scan share the store: each process must reach the same PostgreSQL. The embedded store is one
 * process's folder, so a sharded scan into it would leave every other shard's accounts out of the inventory.
 */
export function checkShardedStore(env: NodeJS.ProcessEnv = process.env): void {
  let shard;
  let engine;
  try {
    shard = loadScansConfig(env).shard;
    engine = loadStoreConfig(env).connection.engine;
  } catch {
    // A bad shard or store variable is reported once, by its own config's check.
    return;
  }
  if (shard && shard.count > 1 && engine !== 'postgres') {
    throw new EnvValidationError([
      `DATABASE_URL (unset): required with SCAN_SHARD_COUNT ${shard.count}: every shard writes into the same ` +
        'PostgreSQL (the embedded store is one process’s)',
    ]);
  }
}

/**
 * The scan Job (and CronJob): validates the environment, boots a Nest application context (no HTTP server),
 * scans this process's shard once (trigger `job`) into the store and closes the context. Resolves to the exit
 * code; a scan already running for the shard elsewhere (the API's scheduler) is joined and its outcome counts.
 */
export async function runScanner(logger: LoggerService = createJobLogger()): Promise<number> {
  let app;
  try {
    // Before Nest: a bad variable is one plain message naming it, not a provider's stack from Nest's injector.
    validateAll([
      jobLoggingConfig,
      scansConfig,
      iamConfig,
      accountsConfig,
      findingsConfig,
      storeConfig,
      checkExemptionsFile,
      () => checkShardedStore(),
    ]);
    app = await NestFactory.createApplicationContext(ScannerAppModule, { logger, abortOnError: false });
  } catch (err) {
    logger.error(err instanceof Error ? err.message : String(err), 'ScannerBootstrap');
    return ScannerExitCode.JobFailed;
  }
  try {
    const runner = app.get(InventoryScanRunner);
    const started = await runner.start({ trigger: 'job' });
    const outcome = await started.done;
    const exitCode = exitCodeOf(outcome);
    const line = { shard: shardLabel(runner.shard), scanId: started.scanId, joined: started.joined, exitCode };
    if (outcome === null) {
      logger.error(
        { msg: 'The joined scan ended unfinished: its runner stopped (lease lapsed)', ...line },
        'ScannerJob',
      );
    } else {
      logger.log({ msg: 'The scan job finished', ...line, ...outcome }, 'ScannerJob');
    }
    return exitCode;
  } catch (err) {
    // Only the message: the store's or the SDK's errors carry no stack into the log.
    logger.error(`The scan failed: ${err instanceof Error ? err.message : String(err)}`, 'ScannerJob');
    return ScannerExitCode.JobFailed;
  } finally {
    await app.close();
  }
}
