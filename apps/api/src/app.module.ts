import { Logger, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE, Reflector } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { LadderRepository, RemediationRepository, StoreModule } from '@app/store';
import { InventoryModule } from '@app/findings';
import { IamModule } from '@app/iam';
import { ScansModule } from '@app/scans';
import {
  EventLoopLagMonitor,
  HttpMetricsMiddleware,
  IamHealthIndicator,
  LivenessIndicator,
  MetricsModule,
  MetricsService,
  RateGovernorMetricsBinder,
  StoreHealthIndicator,
} from '@app/observability';
import {
  AuthFailureLimiter,
  BearerTokenGuard,
  createValidationPipe,
  pinoParams,
  RateLimitGuard,
  RequestBodyGuard,
  ShutdownState,
  SlidingWindowThrottlerStorage,
} from '@app/platform';
import { AccessKeysController } from './access-keys/access-keys.controller';
import { apiConfig } from './config/api.config';
import { HealthController } from './health/health.controller';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { PreparedAnswers } from './http/prepared-answers';
import { MetricsListener } from './metrics/metrics-listener';
import { NotifierMetricsCollector } from './metrics/notifier-metrics.collector';
import { RemediationMetricsCollector } from './metrics/remediation-metrics.collector';
import { OldKeysController } from './old-keys/old-keys.controller';
import { RemediationsController } from './remediations/remediations.controller';
import { ScansController } from './scans/scans.controller';

type ApiConfig = ConfigType<typeof apiConfig>;

/** Clients whose failed authentications are remembered at once (about 100 bytes each). */
const AUTH_FAILURE_CLIENTS = 10_000;

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [apiConfig] }),
    LoggerModule.forRootAsync({
      inject: [apiConfig.KEY],
      useFactory: (config: ApiConfig) =>
        pinoParams({
          level: config.logLevel,
          pretty: config.env === 'development',
          // The routes' own parameters; the value of any other (say ?access_token=) is redacted in the logs.
          shownQueryParams: [
            'hours',
            'include_inactive',
            'allow_partial',
            'account_id',
            'finding',
            'status',
            'include_exempted',
            'older_than_hours',
            'unused_days',
            'never_used_grace_hours',
            'source',
            'user_name',
            'access_key_id',
            'outcome',
            'since',
            'until',
            'limit',
            'cursor',
          ],
        }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [apiConfig.KEY],
      useFactory: (config: ApiConfig) => ({
        throttlers: [{ ttl: 60_000, limit: Math.max(1, config.rateLimitPerMinute) }],
        skipIf: () => config.rateLimitPerMinute === 0,
        // One budget per client across the /v1 routes; the default key adds the route, which multiplies it.
        generateKey: (_context, tracker, throttlerName) => `${throttlerName}:${tracker}`,
        // The library's own storage copies every live hit on each request: quadratic under a polling dashboard.
        storage: new SlidingWindowThrottlerStorage(),
      }),
    }),
    TerminusModule.forRoot({ logger: false }),
    MetricsModule,
    IamModule,
    InventoryModule,
    StoreModule,
    ScansModule,
  ],
  controllers: [OldKeysController, AccessKeysController, HealthController, RemediationsController, ScansController],
  providers: [
    ShutdownState,
    PreparedAnswers,
    IamHealthIndicator,
    StoreHealthIndicator,
    LivenessIndicator,
    EventLoopLagMonitor,
    RateGovernorMetricsBinder,
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    MetricsListener,
    {
      provide: RemediationMetricsCollector,
      inject: [MetricsService, RemediationRepository],
      useFactory: (metrics: MetricsService, store: RemediationRepository) =>
        new RemediationMetricsCollector(metrics.registry, store),
    },
    {
      provide: NotifierMetricsCollector,
      inject: [MetricsService, LadderRepository],
      useFactory: (metrics: MetricsService, store: LadderRepository) =>
        new NotifierMetricsCollector(metrics.registry, store),
    },
    {
      provide: AuthFailureLimiter,
      inject: [apiConfig.KEY],
      useFactory: (config: ApiConfig) =>
        new AuthFailureLimiter({
          failuresPerWindow: config.authFailuresPerMinute,
          windowMs: 60_000,
          lockoutMs: config.authLockoutMs,
          maxClients: AUTH_FAILURE_CLIENTS,
        }),
    },
    // Authentication runs before the rate limit, so a wrong token spends the failed-authentication budget only,
    // never the request budget of the callers who share its address.
    {
      provide: BearerTokenGuard,
      inject: [apiConfig.KEY, Reflector, AuthFailureLimiter],
      useFactory: (config: ApiConfig, reflector: Reflector, failures: AuthFailureLimiter) => {
        if (config.apiTokens.length === 0) {
          new Logger('Auth').warn(
            'ALLOW_UNAUTHENTICATED=true and API_TOKENS is not set: the /v1 routes are open to anyone who can reach the service',
          );
        }
        return new BearerTokenGuard(config.apiTokens, reflector, failures);
      },
    },
    // One instance: the warm routes' fast path asks it too (installWarmFastPath).
    { provide: APP_GUARD, useExisting: BearerTokenGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: RequestBodyGuard },
  ],
})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
