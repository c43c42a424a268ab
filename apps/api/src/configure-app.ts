import { INestApplication, VersioningType } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { jsonBody } from '@app/platform';

/** All app-wide setup in one place, so main.ts and every e2e test run the same app. */
export function configureApp(app: INestApplication): INestApplication {
  useJsonLoggerIfPresent(app);
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
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}

function useJsonLoggerIfPresent(app: INestApplication): void {
  try {
    app.useLogger(app.get(Logger));
  } catch {
    // Slim test modules without LoggerModule keep Nest's default logger.
  }
}
