import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { IamClientProvider, IamException } from '@app/iam';

interface Probe {
  at: number;
  result: Promise<HealthIndicatorResult>;
}

/**
 * Readiness asks IAM one cheap question (ListUsers, one item: a permission the service needs anyway),
 * and shares the answer for a few seconds so that however many probes arrive, IAM sees at most one call
 * per cache period.
 */
@Injectable()
export class IamHealthIndicator {
  private last?: Probe;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly iam: IamClientProvider,
  ) {}

  check(key: string, cacheMs: number, now = Date.now()): Promise<HealthIndicatorResult> {
    if (this.last && now - this.last.at < cacheMs) {
      return this.last.result;
    }
    const result = this.probe(key);
    this.last = { at: now, result };
    return result;
  }

  private async probe(key: string): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const started = performance.now();
    try {
      await this.iam.ping();
      return indicator.up({ latencyMs: Math.round(performance.now() - started) });
    } catch (err) {
      const reason = err instanceof IamException ? err.code : 'IAM_UNREACHABLE';
      return indicator.down({ reason });
    }
  }
}
