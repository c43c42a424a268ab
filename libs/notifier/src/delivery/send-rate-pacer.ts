import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Hands out send slots evenly spaced at `1000 / perSecond` ms, whatever the concurrency, so bursts never
 * exceed the SES maximum send rate (which SES enforces per second, not per minute).
 */
export class SendRatePacer {
  private nextSlot = 0;
  private readonly intervalMs: number;

  constructor(
    perSecond: number,
    private readonly now: () => number = () => Date.now(),
    private readonly wait: (ms: number) => Promise<unknown> = (ms) => sleep(ms),
  ) {
    if (!(perSecond > 0)) {
      throw new RangeError(`perSecond must be positive, got ${perSecond}`);
    }
    this.intervalMs = 1000 / perSecond;
  }

  async acquire(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) {
      await this.wait(slot - now);
    }
  }
}
