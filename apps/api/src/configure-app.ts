import { INestApplication, VersioningType } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { jsonBody } from '@app/platform';
import type { Express } from 'express';
import { apiConfig, type ApiConfig } from './config/api.config';

/** All app-wide setup in one place, so main.ts and every e2e test run the same app. */
export function configureApp(app: INestApplication): INestApplication {
  useJsonLoggerIfPresent(app);
  trustProxiesIfConfigured(app);
  app.use(jsonBody());
  app.enableVersioning({ type: VersioningType.URI });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('iam-key-monitor')
      .setDescription(
        'Finds AWS IAM access keys that have lived too long. Send `Authorization: Bearer <token>` when the service runs with API_TOKENS.',
      )
      .setVersion('1')
      // The tokens are opaque strings from API_TOKENS, not JWTs (the library's default bearerFormat).
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'One of the tokens in API_TOKENS' }, 'bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'iam-key-monitor API',
    swaggerOptions: { persistAuthorization: true, displayRequestDuration: true },
  });
  return app;
}

function trustProxiesIfConfigured(app: INestApplication): void {
  let config: ApiConfig | undefined;
  try {
    config = app.get<ApiConfig>(apiConfig.KEY);
  } catch {
    return; // slim test modules without the API config
  }
  (app.getHttpAdapter().getInstance() as Express).set('trust proxy', config.trustProxy);
}

function useJsonLoggerIfPresent(app: INestApplication): void {
  try {
    app.useLogger(app.get(Logger));
  } catch {
    // Slim test modules without LoggerModule keep Nest's default logger.
  }
}
