import { Controller, Get, Inject, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { IamHealthIndicator, LivenessIndicator, StoreHealthIndicator } from '@app/observability';
import { type ErrorBodyDto, Public, ShutdownState } from '@app/platform';
import { apiConfig } from '../config/api.config';

const IAM_UP = { iam: { status: 'up', latencyMs: 42 } };
const IAM_DOWN = { iam: { status: 'down', reason: 'IAM_ACCESS_DENIED' } };
const STORE_UP = { store: { status: 'up', engine: 'postgres' } };
const STORE_DOWN = { store: { status: 'down', reason: 'STORE_UNREACHABLE', engine: 'postgres' } };
const LIVE_UP = { process: { status: 'up', eventLoopLagMs: 3 } };
const LIVE_DOWN = { process: { status: 'down', reason: 'SCAN_STUCK', scanRunningMs: 601_200, stuckAfterMs: 600_000 } };

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly iam: IamHealthIndicator,
    private readonly store: StoreHealthIndicator,
    private readonly liveness: LivenessIndicator,
    private readonly shutdown: ShutdownState,
    @Inject(apiConfig.KEY) private readonly config: ConfigType<typeof apiConfig>,
  ) {}

  @Get('live')
  @ApiOperation({
    summary: 'Liveness: the event loop is not stalled and no scan outlived its deadline (no AWS call)',
  })
  @ApiOkResponse({ schema: { example: { status: 'ok', info: LIVE_UP, error: {}, details: LIVE_UP } } })
  @ApiServiceUnavailableResponse({
    description: 'The event loop stalled beyond LIVENESS_MAX_EVENT_LOOP_LAG_MS, or a scan ran past twice its deadline',
    schema: { example: { status: 'error', info: {}, error: LIVE_DOWN, details: LIVE_DOWN } },
  })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.liveness.check('process', this.config.livenessMaxEventLoopLagMs)]);
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: IAM answers with the service credentials, and the store is reachable with every migration applied (cached a few seconds)',
  })
  @ApiOkResponse({
    schema: {
      example: { status: 'ok', info: { ...IAM_UP, ...STORE_UP }, error: {}, details: { ...IAM_UP, ...STORE_UP } },
    },
  })
  @ApiServiceUnavailableResponse({
    description:
      'IAM unreachable, denied or silent past READINESS_TIMEOUT_MS, or the store unreachable or with migrations pending (the Terminus report), or the service is shutting down (an error body)',
    examples: {
      iamDown: {
        summary: 'IAM unreachable or denied',
        value: { status: 'error', info: STORE_UP, error: IAM_DOWN, details: { ...IAM_DOWN, ...STORE_UP } },
      },
      storeDown: {
        summary: 'The store unreachable (or MIGRATIONS_PENDING with the pending files)',
        value: { status: 'error', info: IAM_UP, error: STORE_DOWN, details: { ...IAM_UP, ...STORE_DOWN } },
      },
      shuttingDown: {
        summary: 'The service is draining',
        value: {
          statusCode: 503,
          error: 'Service Unavailable',
          code: 'SHUTTING_DOWN',
          message: 'The service is shutting down',
        } satisfies ErrorBodyDto,
      },
    },
  })
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    if (this.shutdown.draining) {
      throw new ServiceUnavailableException({ code: 'SHUTTING_DOWN', message: 'The service is shutting down' });
    }
    const { readinessCacheMs: cacheMs, readinessTimeoutMs: timeoutMs } = this.config;
    return this.health.check([
      () => this.iam.check('iam', { cacheMs, timeoutMs }),
      () => this.store.check('store', { cacheMs, timeoutMs }),
    ]);
  }
}
