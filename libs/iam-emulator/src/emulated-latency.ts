import { setTimeout as sleep } from 'node:timers/promises';
import type { SeededRandom } from './seeded-random';

/** How much of each answer's lateness the next timers start earlier by (an integral controller's gain). */
const GAIN = 0.1;
/** Timers never move by more than this, and one answer's lateness or earliness counts for at most this much. */
const MAX_LEAD_MS = 3;

export interface LatencyTotals {
  /** Requests answered after an emulated latency. */
  answered: number;
  /** Their latencies as drawn (what the configuration asked for), summed. */
  drawnMs: number;
  /** Their latencies as delivered, from the request's first byte to its answer being written, summed. */
  deliveredMs: number;
}

/** performance.now() and a timer; replaced in unit tests. */
export interface LatencyClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const realClock: LatencyClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

export const emptyLatencyTotals = (): LatencyTotals => ({ answered: 0, drawnMs: 0, deliveredMs: 0 });

/**
 * The per-call latency of emulated IAM, held from the moment a request arrives until its answer is
 * written, so reading the body and rendering the XML are part of it rather than added on top.
 *
 * Node's timers miss by up to a millisecond or two: they run on a millisecond loop clock, so an idle
 * loop wakes late and a busy one can fire a timer early. Late by a millisecond, a 15 ms call would cost
 * 16 and any benchmark measured against the configured latency would look 7% worse than it is. Each
 * answer tells how late or early it was and moves the next timers by a tenth of that (at most
 * MAX_LEAD_MS), so the delivered latency averages the drawn one. Totals of both are kept so a benchmark
 * can show what was asked and what was delivered.
 */
export class EmulatedLatency {
  private leadMs = 0;

  constructor(
    private readonly range: number | [number, number] | undefined,
    private readonly random: SeededRandom,
    private readonly clock: LatencyClock = realClock,
  ) {}

  /** The latency for the next call: uniform over the range, or the fixed value. */
  draw(): number {
    const { range } = this;
    if (Array.isArray(range)) {
      return range[0] + this.random.float() * (range[1] - range[0]);
    }
    return range ?? 0;
  }

  /** Resolves when `latencyMs` after `arrivedAt` (performance.now()) is up, less the learnt timer lateness. */
  async hold(arrivedAt: number, latencyMs: number, signal: AbortSignal): Promise<void> {
    if (latencyMs <= 0) {
      return;
    }
    const waitMs = arrivedAt + latencyMs - this.leadMs - this.clock.now();
    if (waitMs > 0) {
      await this.clock.sleep(waitMs, signal);
    }
  }

  /** Call right after the answer is written: adds to each of the totals and corrects the lead by its lateness. */
  answered(arrivedAt: number, latencyMs: number, totals: LatencyTotals | LatencyTotals[]): void {
    if (latencyMs <= 0) {
      return;
    }
    const deliveredMs = this.clock.now() - arrivedAt;
    for (const sum of Array.isArray(totals) ? totals : [totals]) {
      sum.answered++;
      sum.drawnMs += latencyMs;
      sum.deliveredMs += deliveredMs;
    }
    // Clamped, so one answer stalled behind a big report moves the lead no more than a timer ever could.
    const lateMs = clamp(deliveredMs - latencyMs, -MAX_LEAD_MS, MAX_LEAD_MS);
    this.leadMs = clamp(this.leadMs + GAIN * lateMs, -MAX_LEAD_MS, MAX_LEAD_MS);
  }

  /** How much earlier than due the timers currently start, in ms (negative: later). */
  get lead(): number {
    return this.leadMs;
  }
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));
