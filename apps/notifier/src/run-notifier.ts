import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { accountsConfig } from '@app/accounts';
import { checkExemptionsFile, findingsConfig } from '@app/findings';
import { iamConfig } from '@app/iam';
import { notifierConfig, NotifierExitCode, RotationNotifierJob } from '@app/notifier';
import { createJobLogger, jobLoggingConfig, validateAll } from '@app/platform';
import { storeConfig } from '@app/store';
import { NotifierAppModule } from './notifier-app.module';

/**
 * Validates the environment, boots a Nest application context (no HTTP server), runs the job once and
 * closes the context, which destroys the IAM and SES clients. Resolves to the process exit code; a bad
 * environment variable, a boot failure or anything the job throws is logged once, by its message, and
 * gives JobFailed.
 */
export async function runNotifier(logger: LoggerService = createJobLogger()): Promise<number> {
  let app;
  try {
    // Before Nest: a bad variable is one plain message naming it, not a provider's stack from Nest's injector.
    validateAll([
      jobLoggingConfig,
      notifierConfig,
      iamConfig,
      accountsConfig,
      findingsConfig,
      storeConfig,
      checkExemptionsFile,
    ]);
    app = await NestFactory.createApplicationContext(NotifierAppModule, { logger, abortOnError: false });
  } catch (err) {
    logger.error(err instanceof Error ? err.message : String(err), 'NotifierBootstrap');
    return NotifierExitCode.JobFailed;
  }
  try {
    const summary = await app.get(RotationNotifierJob).run();
    return summary.exitCode;
  } catch (err) {
    // The job turns every failure it knows into a summary; this is a bug's, logged without its stack.
    logger.error(`The job failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`, 'NotifierJob');
    return NotifierExitCode.JobFailed;
  } finally {
    await app.close();
  }
}
