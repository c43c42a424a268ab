import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { iamConfig, OldKeysService } from '@app/iam';
import { EventLoopLagMonitor } from './event-loop-lag.monitor';

/** A scan still running this many times SCAN_MAX_DURATION_MS means its deadline failed to stop it. */
export const STUCK_SCAN_FACTOR = 2;

/**
 * Liveness without any AWS call: down when the event loop stalled beyond `maxEventLoopLagMs` within the last
 * few seconds, or when a scan has run STUCK_SCAN_FACTOR times past SCAN_MAX_DURATION_MS (the deadline aborts
 * scans at 1x, so one still at work is wedged). Either way a restart is the cure a probe can offer.
 */
@Injectable()
export class LivenessIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly scans: OldKeysService,
    private readonly lag: EventLoopLagMonitor,
    @Inject(iamConfig.KEY) private readonly config: ConfigType<typeof iamConfig>,
  ) {}

  check(key: string, maxEventLoopLagMs: number, now = performance.now()): HealthIndicatorResult {
    const indicator = this.health.check(key);
    const eventLoopLagMs = Math.round(this.lag.maxLagMs(now));
    const oldest = this.scans.runningScans()[0];
    const scanRunningMs = oldest ? Math.round(now - oldest.startedAt) : 0;
    if (eventLoopLagMs > maxEventLoopLagMs) {
      return indicator.down({ reason: 'EVENT_LOOP_STALLED', eventLoopLagMs, maxEventLoopLagMs });
    }
    const stuckAfterMs = STUCK_SCAN_FACTOR * this.config.scanMaxDurationMs;
    if (scanRunningMs > stuckAfterMs) {
      return indicator.down({ reason: 'SCAN_STUCK', scanRunningMs, stuckAfterMs });
    }
    return indicator.up({ eventLoopLagMs });
  }
}
