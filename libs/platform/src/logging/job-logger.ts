import type { LoggerService } from '@nestjs/common';
import { IsIn } from 'class-validator';
import { Logger, PinoLogger } from 'nestjs-pino';
import { validateEnv } from '../config/validate-env';
import { pinoParams } from './pino-options';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class JobLoggingEnv {
  @IsIn(LEVELS)
  LOG_LEVEL: string = 'info';

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'production';
}

/** Validates the logging variables with the rest of a job's configuration (see validateAll). */
export const jobLoggingConfig = (): JobLoggingEnv => validateEnv(JobLoggingEnv, process.env);

/**
 * The logger of a process without an HTTP server (the notifier): the API's pino setup and nestjs-pino's
 * adapter, so both apps write one JSON shape. It must exist before the configuration is validated, to
 * report what is wrong with it, so a bad LOG_LEVEL falls back to `info` here and is reported by validation.
 */
export function createJobLogger(env: NodeJS.ProcessEnv = process.env): LoggerService {
  const level = env.LOG_LEVEL && LEVELS.includes(env.LOG_LEVEL) ? env.LOG_LEVEL : 'info';
  const params = pinoParams({ level, pretty: env.NODE_ENV === 'development' });
  return new Logger(new PinoLogger(params), params);
}
