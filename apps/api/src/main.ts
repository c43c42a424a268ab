import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { ConfigType } from '@nestjs/config';
import { AppModule } from './app.module';
import { apiConfig } from './config/api.config';
import { configureApp } from './configure-app';

async function bootstrap(): Promise<void> {
  const app = configureApp(await NestFactory.create(AppModule));
  const config = app.get<ConfigType<typeof apiConfig>>(apiConfig.KEY);
  await app.listen(config.port, config.host);
}

bootstrap().catch((err: unknown) => {
  // Config errors name the bad variable; anything else is printed without secrets (env is never logged).
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
