import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { IamModule } from '@app/iam';
import { createValidationPipe } from '@app/platform';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { apiConfig } from './config/api.config';
import { OldKeysController } from './old-keys/old-keys.controller';

@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [apiConfig] }), IamModule],
  controllers: [OldKeysController],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
  ],
})
export class AppModule {}
