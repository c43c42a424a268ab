import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { StoreReadiness } from '@app/store';
import type { ReadinessProbeOptions } from './iam.health';

interface Probe {
  at: number;
  result: Promise<HealthIndicatorResult>;
}

/**
 * Readiness of the store: reachable, and every migration this process knows applied. The answer is shared for a
 * few seconds like the IAM one, and bounded by the same timeout, so a hung database answers down, not never.
 */
@Injectable()
export class StoreHealthIndicator {
  private last?: Probe;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly store: StoreReadiness,
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
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const state = await Promise.race([this.store.state(), timedOut]);
      if (state === 'timeout') {
        return indicator.down({ reason: 'STORE_UNREACHABLE', engine: this.store.engineKind });
      }
      if (!state.ready) {
        return indicator.down({
          reason: 'MIGRATIONS_PENDING',
          engine: state.engine,
          pendingMigrations: state.pendingMigrations,
        });
      }
      return indicator.up({ engine: state.engine });
    } catch {
      return indicator.down({ reason: 'STORE_UNREACHABLE', engine: this.store.engineKind });
    } finally {
      clearTimeout(timer);
    }
  }
}
