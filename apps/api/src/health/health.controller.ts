import { Controller, Get, Inject, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { IamHealthIndicator } from '@app/observability';
import { type ErrorBodyDto, Public, ShutdownState } from '@app/platform';
import { apiConfig } from '../config/api.config';

const IAM_UP = { iam: { status: 'up', latencyMs: 42 } };
const IAM_DOWN = { iam: { status: 'down', reason: 'IAM_ACCESS_DENIED' } };

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly iam: IamHealthIndicator,
    private readonly shutdown: ShutdownState,
    @Inject(apiConfig.KEY) private readonly config: ConfigType<typeof apiConfig>,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers (no AWS call)' })
  @ApiOkResponse({ schema: { example: { status: 'ok', info: {}, error: {}, details: {} } } })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: IAM answers with the service credentials (cached a few seconds)' })
  @ApiOkResponse({
    schema: { example: { status: 'ok', info: IAM_UP, error: {}, details: IAM_UP } },
  })
  @ApiServiceUnavailableResponse({
    description: 'IAM unreachable or denied (the Terminus report), or the service is shutting down (an error body)',
    examples: {
      iamDown: {
        summary: 'IAM unreachable or denied',
        value: { status: 'error', info: {}, error: IAM_DOWN, details: IAM_DOWN },
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
    return this.health.check([() => this.iam.check('iam', this.config.readinessCacheMs)]);
  }
}
