import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { accountsConfig } from '@app/accounts';
import { checkExemptionsFile, findingsConfig } from '@app/findings';
import { iamConfig } from '@app/iam';
import { installGracefulShutdown, validateAll } from '@app/platform';
import { storeConfig } from '@app/store';
import { AppModule } from './app.module';
import { apiConfig } from './config/api.config';
import { API_APP_OPTIONS, configureApp } from './configure-app';

/** Boots the API as production runs it: JSON logs, graceful SIGTERM, listening on PORT/HOST. */
export async function startApi(): Promise<{ app: INestApplication; url: string }> {
  // Validate every namespace before Nest starts, so a bad variable stops the process with one plain message.
  validateAll([apiConfig, iamConfig, accountsConfig, findingsConfig, storeConfig, checkExemptionsFile]);
  // A provider that fails (the store: DATABASE_URL unreachable, DATA_DIR held by another process) would have Nest log
  // it with its injector stack; the buffered logs are dropped instead, and main.ts prints the one message.
  const app = configureApp(
    await NestFactory.create(AppModule, {
      ...API_APP_OPTIONS,
      bufferLogs: true,
      autoFlushLogs: false,
      abortOnError: false,
    }),
  );
  app.flushLogs();
  const config = app.get<ConfigType<typeof apiConfig>>(apiConfig.KEY);
  const logger = app.get(Logger);
  installGracefulShutdown(app, { graceMs: config.shutdownGraceMs, logger });
  await app.listen(config.port, config.host);
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost}:${config.port}`;
  logger.log(`Listening on ${url} (Swagger UI at ${url}/docs)`, 'Bootstrap');
  return { app, url };
}
