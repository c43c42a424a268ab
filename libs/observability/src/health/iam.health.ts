import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { IamClientProvider, IamException, unlessAborted } from '@app/iam';

interface Probe {
  at: number;
  result: Promise<HealthIndicatorResult>;
}

export interface ReadinessProbeOptions {
  /** How long an answer is shared by later probes. */
  cacheMs: number;
  /** The longest a probe waits for IAM before answering down (below the orchestrator's probe timeout). */
  timeoutMs: number;
}

/**
 * Readiness asks IAM one cheap question (ListUsers, one item: a permission the service needs anyway),
 * and shares the answer for a few seconds so that however many probes arrive, IAM sees at most one call
 * per cache period. The question is bounded by its own timeout, so readiness answers whatever IAM does.
 */
@Injectable()
export class IamHealthIndicator {
  private last?: Probe;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly iam: IamClientProvider,
  ) {}

  check(key: string, options: ReadinessProbeOptions, now = Date.now()): Promise<HealthIndicatorResult> {
    if (this.last && now - this.last.at < options.cacheMs) {
      return this.last.result;
    }
    const result = this.probe(key, options.timeoutMs);
    this.last = { at: now, result };
    return result;
  }

  private async probe(key: string, timeoutMs: number): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`readiness probe over ${timeoutMs} ms`)), timeoutMs);
    try {
      // Raced as well as aborted: a call waiting for the IAM pace has no request to abort yet.
      await unlessAborted(this.iam.ping(controller.signal), controller.signal, 'ListUsers');
      return indicator.up({ latencyMs: Math.round(performance.now() - started) });
    } catch (err) {
      const reason = err instanceof IamException ? err.code : 'IAM_UNREACHABLE';
      return indicator.down({ reason });
    } finally {
      clearTimeout(timer);
    }
  }
}
