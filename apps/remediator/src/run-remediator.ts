import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { accountsConfig } from '@app/accounts';
import { checkExemptionsFile, findingsConfig } from '@app/findings';
import { iamConfig } from '@app/iam';
import { notifierConfig } from '@app/notifier';
import { createJobLogger, jobLoggingConfig, validateAll } from '@app/platform';
import { remediationConfig, RemediationJob, type RemediationRunSummary } from '@app/remediation';
import { storeConfig } from '@app/store';
import { RemediatorAppModule } from './remediator-app.module';

export enum RemediatorExitCode {
  /** Done, or off, or nothing allowed to act now (outside the window). */
  Ok = 0,
  /** The run finished but something needs a person: a failed check or action, the kill switch, or over the maximum. */
  NeedsAttention = 1,
  /** Bad configuration, boot failure, or the job itself failed. */
  JobFailed = 2,
}

export function exitCodeOf(summary: RemediationRunSummary): RemediatorExitCode {
  const failed = (summary.outcomes.failed ?? 0) > 0;
  const overMax = (summary.refused['over-max-per-run'] ?? 0) > 0;
  return failed || overMax || summary.status === 'stopped' || summary.emailsFailed > 0
    ? RemediatorExitCode.NeedsAttention
    : RemediatorExitCode.Ok;
}

/** Validates the environment, boots a Nest application context, runs one remediation and closes it. */
export async function runRemediator(logger: LoggerService = createJobLogger()): Promise<number> {
  let app;
  try {
    validateAll([
      jobLoggingConfig,
      remediationConfig,
      notifierConfig,
      iamConfig,
      accountsConfig,
      findingsConfig,
      storeConfig,
      checkExemptionsFile,
    ]);
    app = await NestFactory.createApplicationContext(RemediatorAppModule, { logger, abortOnError: false });
  } catch (err) {
    logger.error(err instanceof Error ? err.message : String(err), 'RemediatorBootstrap');
    return RemediatorExitCode.JobFailed;
  }
  try {
    return exitCodeOf(await app.get(RemediationJob).run());
  } catch (err) {
    logger.error(`The job failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`, 'RemediatorJob');
    return RemediatorExitCode.JobFailed;
  } finally {
    await app.close();
  }
}
