import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Until when an answer cut from the shared scans stays byte for byte what it is: the earliest of the shared
 * scans' expiries (SCAN_CACHE_TTL_SECONDS after each settled), the next instant any key's age changes at its
 * stated precision, and the next instant a key crosses the asked threshold into (or a new scan out of) the
 * answer. Bounded by whoever cuts the answer; a reader that caches the answer's bytes must drop them then.
 */
export class AnswerFreshness {
  private untilMs: number;

  constructor(startUntilMs: number) {
    this.untilMs = startUntilMs;
  }

  /** The answer is exact only before `ms` (epoch milliseconds, on IAM_CLOCK). */
  bound(ms: number): void {
    if (ms < this.untilMs) {
      this.untilMs = ms;
    }
  }

  get validUntilMs(): number {
    return this.untilMs;
  }
}

/** The freshness of the answer being built in this async context, if someone is tracking it. */
export const answerFreshnessStorage = new AsyncLocalStorage<AnswerFreshness>();
