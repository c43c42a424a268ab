import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';

/** How often the loop is sampled, and how long a stall is remembered (about one liveness probe period). */
export const LAG_SAMPLE_INTERVAL_MS = 500;
export const LAG_WINDOW_MS = 10_000;

/**
 * How late a repeating timer fires: the time the event loop spent blocked. A probe answered after a stall
 * runs on a loop that is free again, so the monitor remembers the worst lateness over the last window,
 * and counts a tick that is overdue right now too.
 */
@Injectable()
export class EventLoopLagMonitor implements OnModuleInit, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private expectedAt?: number;
  private samples: { at: number; lagMs: number }[] = [];

  onModuleInit(): void {
    this.start();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.expectedAt = undefined;
  }

  start(now = performance.now()): void {
    if (this.timer) {
      return;
    }
    this.expectedAt = now + LAG_SAMPLE_INTERVAL_MS;
    this.timer = setInterval(() => this.tick(), LAG_SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  /** One sample: how late the tick due at `expectedAt` ran. */
  tick(now = performance.now()): void {
    if (this.expectedAt !== undefined) {
      this.samples.push({ at: now, lagMs: Math.max(0, now - this.expectedAt) });
    }
    this.expectedAt = now + LAG_SAMPLE_INTERVAL_MS;
    this.samples = this.samples.filter((s) => now - s.at <= LAG_WINDOW_MS);
  }

  /** The worst lag over the last window, the tick overdue now included (ms). */
  maxLagMs(now = performance.now()): number {
    const overdue = this.expectedAt === undefined ? 0 : Math.max(0, now - this.expectedAt);
    return this.samples.filter((s) => now - s.at <= LAG_WINDOW_MS).reduce((max, s) => Math.max(max, s.lagMs), overdue);
  }
}
