import { INestApplication, VersioningType } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { jsonBody } from '@app/platform';

/** All app-wide setup in one place, so main.ts and every e2e test run the same app. */
export function configureApp(app: INestApplication): INestApplication {
  app.use(jsonBody());
  app.enableVersioning({ type: VersioningType.URI });
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('iam-key-monitor')
      .setDescription('Finds AWS IAM access keys that have lived too long.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
