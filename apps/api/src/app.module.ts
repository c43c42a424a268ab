import { Logger, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE, Reflector } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { IamModule } from '@app/iam';
import {
  HttpMetricsMiddleware,
  IamHealthIndicator,
  MetricsModule,
  RateGovernorMetricsBinder,
} from '@app/observability';
import { BearerTokenGuard, createValidationPipe, pinoParams, RequestBodyGuard, ShutdownState } from '@app/platform';
import { apiConfig } from './config/api.config';
import { HealthController } from './health/health.controller';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { MetricsController } from './metrics/metrics.controller';
import { OldKeysController } from './old-keys/old-keys.controller';

type ApiConfig = ConfigType<typeof apiConfig>;

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [apiConfig] }),
    LoggerModule.forRootAsync({
      inject: [apiConfig.KEY],
      useFactory: (config: ApiConfig) => pinoParams({ level: config.logLevel, pretty: config.env === 'development' }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [apiConfig.KEY],
      useFactory: (config: ApiConfig) => ({
        throttlers: [{ ttl: 60_000, limit: Math.max(1, config.rateLimitPerMinute) }],
        skipIf: () => config.rateLimitPerMinute === 0,
        // One budget per client across the /v1 routes; the default key adds the route, which multiplies it.
        generateKey: (_context, tracker, throttlerName) => `${throttlerName}:${tracker}`,
      }),
    }),
    TerminusModule.forRoot({ logger: false }),
    MetricsModule,
    IamModule,
  ],
  controllers: [OldKeysController, HealthController, MetricsController],
  providers: [
    ShutdownState,
    IamHealthIndicator,
    RateGovernorMetricsBinder,
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    {
      provide: APP_GUARD,
      inject: [apiConfig.KEY, Reflector],
      useFactory: (config: ApiConfig, reflector: Reflector) => {
        if (config.apiTokens.length === 0) {
          new Logger('Auth').warn('API_TOKENS is not set: the /v1 routes are open to anyone who can reach the service');
        }
        return new BearerTokenGuard(config.apiTokens, reflector);
      },
    },
    { provide: APP_GUARD, useClass: RequestBodyGuard },
  ],
})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
