import type { Server } from 'node:http';
import { INestApplication, Logger as NestLogger, type NestApplicationOptions, VersioningType } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { MetricsService } from '@app/observability';
import { answerClientErrors, applyServerLimits, jsonBody, securityHeaders } from '@app/platform';
import type { Express } from 'express';
import { apiConfig, type ApiConfig } from './config/api.config';
import { installWarmFastPath } from './http/warm-fast-path';

/** Create the API app with these (production and tests alike): our body parser is the only one. */
export const API_APP_OPTIONS = { bodyParser: false } as const satisfies NestApplicationOptions;

/** All app-wide setup in one place, so main.ts and every e2e test run the same app. */
export function configureApp(app: INestApplication): INestApplication {
  assertOwnBodyParser(app);
  useJsonLoggerIfPresent(app);
  const express = app.getHttpAdapter().getInstance() as Express;
  express.disable('x-powered-by');
  const server = app.getHttpServer() as Server;
  const config = apiConfigIfPresent(app);
  if (config) {
    express.set('trust proxy', config.trustProxy);
    applyServerLimits(server, config.http);
  }
  const metrics = providerIfPresent(app, MetricsService);
  answerClientErrors(server, {
    logger: new NestLogger('HttpServer'),
    onAnswered: (status) => metrics?.observeHttp('unparsed', 'UNKNOWN', status, 0),
  });
  app.use(securityHeaders());
  app.use(jsonBody({ optionalOn: ['/v1/scans'] }));
  if (config) {
    installWarmFastPath(app, config, (token) => providerIfPresent(app, token));
  }
  app.enableVersioning({ type: VersioningType.URI });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('iam-key-monitor')
      .setDescription(
        'Finds AWS IAM access keys that have lived too long. Send `Authorization: Bearer <token>` with one of the tokens in API_TOKENS (unless the service runs with ALLOW_UNAUTHENTICATED=true).',
      )
      .setVersion('1')
      // The tokens are opaque strings from API_TOKENS, not JWTs (the library's default bearerFormat).
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'One of the tokens in API_TOKENS' }, 'bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'iam-key-monitor API',
    // The token stays in the page's memory; persisted, any script on the origin could read it from localStorage.
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true },
  });
  return app;
}

/**
 * Nest's default parsers would read bodies before ours, on every method and path, and answer their errors as
 * unlogged 500s; an app created without {@link API_APP_OPTIONS} is a bug, caught at boot.
 */
function assertOwnBodyParser(app: INestApplication): void {
  const options = (app as unknown as { appOptions?: NestApplicationOptions }).appOptions;
  if (options?.bodyParser !== false) {
    throw new Error("configureApp: create the app with API_APP_OPTIONS, so Nest's body parsers stay off");
  }
}

function apiConfigIfPresent(app: INestApplication): ApiConfig | undefined {
  return providerIfPresent<ApiConfig>(app, apiConfig.KEY);
}

function providerIfPresent<T>(
  app: INestApplication,
  token: string | symbol | (abstract new (...args: never[]) => T),
): T | undefined {
  try {
    return app.get<T>(token);
  } catch {
    return undefined; // slim test modules without it
  }
}

function useJsonLoggerIfPresent(app: INestApplication): void {
  const logger = providerIfPresent(app, Logger);
  if (logger) {
    app.useLogger(logger);
  }
}
