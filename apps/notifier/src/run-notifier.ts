import { ConsoleLogger, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NotifierExitCode, RotationNotifierJob } from '@app/notifier';
import { NotifierAppModule } from './notifier-app.module';

/**
 * Boots a Nest application context (no HTTP server), runs the job once and closes the context, which
 * destroys the IAM and SES clients. Resolves to the process exit code; a boot failure such as a bad
 * environment variable, or anything the job throws, is logged with its message and gives JobFailed.
 */
export async function runNotifier(logger: LoggerService = new ConsoleLogger({ json: true })): Promise<number> {
  let app;
  try {
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
