import { setTimeout as delay } from 'node:timers/promises';

/** Time as the governor sees it; tests pass one whose sleep only advances a fake clock. */
export interface GovernorTimer {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const monotonicTimer: GovernorTimer = {
  now: () => performance.now(),
  sleep: async (ms) => {
    await delay(ms);
  },
};

export interface AdaptiveRateOptions {
  /** On a throttle the pace drops to this share of the useful (answered) rate measured just before. */
  decreaseFactor: number;
  /** The pace never drops below this many calls per second. */
  floorPerSecond: number;
  /**
   * Seconds of paced sending to climb back to the useful rate measured at the last cut; the climb slows
   * as it nears that rate and speeds up past it (a cubic, as in TCP CUBIC), to probe for more.
   */
  recoverySeconds: number;
  /** How far back the useful rate is measured. */
  windowMs: number;
  /** Tokens saved up while idle, in seconds of the current pace (at least one token). */
  burstSeconds: number;
}

export const DEFAULT_ADAPTIVE_RATE_OPTIONS: AdaptiveRateOptions = {
  decreaseFactor: 0.85,
  floorPerSecond: 1,
  recoverySeconds: 2,
  windowMs: 1000,
  burstSeconds: 0.05,
};

/** Handed out with each send slot and given back with the attempt's outcome. */
export interface RatePermit {
  /** When the slot was granted (governor clock). */
  readonly sentAt: number;
  /** Whether the pace, not the caller, decided when this attempt went out. */
  readonly paced: boolean;
}

export type AttemptOutcome = 'ok' | 'throttled' | 'error';

export interface RateGovernorSnapshot {
  /** The current pace in calls per second; Infinity until IAM first throttles. */
  ratePerSecond: number;
  /** Attempts let through since the process started. */
  sent: number;
  /** Attempts IAM answered (anything but a throttle). */
  answered: number;
  throttled: number;
  /** Throttles that lowered the pace (the others were sent before the previous cut). */
  decreases: number;
  /** Attempts waiting for a slot right now. */
  waiting: number;
  /** Time attempts spent waiting for a slot, summed. */
  waitedMs: number;
}

/**
 * A client-side token bucket for every IAM call of the process (IAM's rate limit is per account, so
 * concurrent scans and probes must share one pace). It starts unlimited, and AIMD keeps it just under
 * whatever IAM allows:
 * - a throttled attempt cuts the pace to `decreaseFactor` x the useful rate measured over the last
 *   window. Measured, not current: a cut from "unlimited" lands near the real limit at once, and a run
 *   of throttles cannot spiral the pace down to the floor. Throttles of attempts sent before the last
 *   cut are ignored: they were already on the wire at the old pace.
 * - each answered attempt that had to wait for its slot grows the pace, as a cubic of the time spent
 *   sending at the pace since the cut: fast at first, flat around the rate measured at the cut (where
 *   IAM's limit most likely is), then faster again to find a limit that has risen or was underestimated.
 *   Only paced time counts, so an idle process does not wake up at a pace it never tried.
 * Attempts wait in FIFO order; the head re-reads the pace after every sleep, so a cut takes effect for
 * every queued attempt at once.
 */
export class AdaptiveRateGovernor {
  private readonly options: AdaptiveRateOptions;
  private rate = Infinity;
  private tokens = 0;
  private refilledAt: number;
  private lastCutAt = -Infinity;
  private rateAtCut = 0;
  /** Whether `rateAtCut` was measured at a throttle of this account's own, not inherited from others. */
  private cutHere = false;
  /** Seconds spent sending at the pace since the last cut. */
  private pacedSeconds = 0;
  /** The fastest pace a paced attempt was answered at since the last cut. */
  private fastestAnsweredPace = 0;
  /** What `learntRatePerSecond` last confirmed; kept through a later cut until that one is confirmed in turn. */
  private confirmedRate: number | undefined;
  private inFlight = 0;
  /** When attempts last started going out after nothing was in flight or waiting. */
  private busySince = -Infinity;
  private queueTail: Promise<unknown> = Promise.resolve();
  /** Times of answered attempts within the window, oldest first (a ring would save little at IAM rates). */
  private readonly answers: number[] = [];
  /** Times attempts went out within the window, for when too few were answered to measure anything. */
  private readonly sends: number[] = [];
  private readonly counts = { sent: 0, answered: 0, throttled: 0, decreases: 0, waiting: 0, waitedMs: 0 };

  /**
   * `learntRatePerSecond` starts the pace as if IAM had just throttled at that useful rate (another account's,
   * whose limit is most likely the same): a new account of an organization does not spend its burst, get
   * throttled and wait out the SDK's retry delay before it finds the pace. It still probes upward from there.
   */
  constructor(
    options: Partial<AdaptiveRateOptions> = {},
    private readonly timer: GovernorTimer = monotonicTimer,
    learntRatePerSecond?: number,
  ) {
    this.options = { ...DEFAULT_ADAPTIVE_RATE_OPTIONS, ...options };
    const { decreaseFactor, floorPerSecond, windowMs } = this.options;
    if (
      !(decreaseFactor > 0 && decreaseFactor < 1) ||
      !(floorPerSecond > 0) ||
      !(windowMs > 0) ||
      !(this.options.recoverySeconds > 0)
    ) {
      throw new RangeError('decreaseFactor must lie in (0, 1); floorPerSecond, windowMs, recoverySeconds above 0');
    }
    this.refilledAt = timer.now();
    if (learntRatePerSecond !== undefined && Number.isFinite(learntRatePerSecond) && learntRatePerSecond > 0) {
      this.rateAtCut = learntRatePerSecond;
      this.rate = Math.max(floorPerSecond, decreaseFactor * learntRatePerSecond);
      this.lastCutAt = this.refilledAt;
      this.tokens = 1;
    }
  }

  /**
   * The pace this account sustains under a throttle of its own: the useful rate measured at its last cut or, if
   * higher, the fastest pace paced attempts were answered at since, once `recoverySeconds` of paced sending
   * followed the cut; until a later cut is confirmed in turn, the one before stands. Undefined before any. The rate
   * at the cut alone undersells it: early cuts are measured in short windows full of SDK backoff, and an account
   * climbs back well past them. The first cuts measure the burst IAM let through, above its sustained limit; an
   * inherited start rate is not this account's finding, however long it is sent at: passing it on confirms it
   * without a throttle ever measuring it, and each account starting a step below it (the decrease factor, then the
   * climb back) drifts an organization's pace down (measured at 200 accounts: from 20 to 5 useful calls/s).
   */
  get learntRatePerSecond(): number | undefined {
    return this.confirmedRate;
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  snapshot(): RateGovernorSnapshot {
    return { ratePerSecond: this.rate, ...this.counts };
  }

  /** Resolves when this attempt may go out. Every HTTP attempt, retries included, takes one slot. */
  async acquire(): Promise<RatePermit> {
    const requestedAt = this.timer.now();
    this.counts.sent++;
    if (this.inFlight === 0 && this.counts.waiting === 0) {
      this.busySince = requestedAt;
    }
    if (this.rate === Infinity) {
      this.inFlight++;
      this.sends.push(requestedAt);
      return { sentAt: requestedAt, paced: false };
    }
    const queued = this.counts.waiting > 0;
    this.counts.waiting++;
    const turn = this.queueTail.then(() => this.takeToken());
    this.queueTail = turn;
    try {
      const waited = await turn;
      const sentAt = this.timer.now();
      this.inFlight++;
      this.sends.push(sentAt);
      this.counts.waitedMs += sentAt - requestedAt;
      return { sentAt, paced: queued || waited };
    } finally {
      this.counts.waiting--;
    }
  }

  record(permit: RatePermit, outcome: AttemptOutcome): void {
    const now = this.timer.now();
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (outcome === 'throttled') {
      this.counts.throttled++;
      this.onThrottle(permit, now);
      return;
    }
    this.counts.answered++;
    this.answers.push(now);
    this.forget(now);
    if (outcome === 'ok' && permit.paced && this.rate !== Infinity) {
      this.fastestAnsweredPace = Math.max(this.fastestAnsweredPace, this.rate);
      this.pacedSeconds += 1 / this.rate;
      this.rate = this.recovered();
      if (this.cutHere && this.pacedSeconds >= this.options.recoverySeconds) {
        this.confirmedRate = Math.max(this.rateAtCut, this.fastestAnsweredPace);
      }
    }
  }

  /**
   * Answered attempts per second, taken between the first and the last answer, preferably since the
   * process last went busy (nothing in flight or waiting before): after start-up or an idle spell the
   * window is mostly the wait for the first answers (connections, credentials, a lone ListUsers page),
   * and dividing by it would read a fraction of the real rate. Failing two answers there, the whole
   * window; failing those, the rate attempts went out at: an overestimate only costs another cut, and
   * while nothing gets answered it still brings the pace down by the factor each round.
   */
  usefulRate(now = this.timer.now()): number {
    this.forget(now);
    return (
      rateBetween(this.answers, this.busySince) ??
      rateBetween(this.answers, -Infinity) ??
      rateBetween(this.sends, -Infinity) ??
      0
    );
  }

  private onThrottle(permit: RatePermit, now: number): void {
    if (permit.sentAt < this.lastCutAt) {
      return;
    }
    const measured = this.usefulRate(now);
    const target = Math.max(this.options.floorPerSecond, this.options.decreaseFactor * measured);
    if (target >= this.rate) {
      return;
    }
    this.rate = target;
    this.rateAtCut = measured;
    this.cutHere = true;
    this.pacedSeconds = 0;
    this.fastestAnsweredPace = 0;
    // IAM's bucket is empty right now: spending saved tokens would only be throttled again.
    this.tokens = 0;
    this.refilledAt = now;
    this.lastCutAt = now;
    this.counts.decreases++;
  }

  /** The cubic through the cut pace at 0 s and the rate measured at the cut at `recoverySeconds`. */
  private recovered(): number {
    const { decreaseFactor, floorPerSecond, recoverySeconds } = this.options;
    const k = recoverySeconds;
    const t = this.pacedSeconds - k;
    return Math.max(floorPerSecond, this.rateAtCut * (1 + ((1 - decreaseFactor) * t * t * t) / (k * k * k)));
  }

  /** Waits for one token; true when it had to sleep. Only the head of the queue runs this. */
  private async takeToken(): Promise<boolean> {
    let slept = false;
    for (;;) {
      const now = this.timer.now();
      this.refill(now);
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return slept;
      }
      const waitMs = ((1 - this.tokens) / this.rate) * 1000;
      slept = true;
      await this.timer.sleep(Math.max(1, Math.ceil(waitMs)));
    }
  }

  private refill(now: number): void {
    const burst = Math.max(1, this.rate * this.options.burstSeconds);
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
  }

  private forget(now: number): void {
    const horizon = now - this.options.windowMs;
    for (const times of [this.answers, this.sends]) {
      let drop = 0;
      while (drop < times.length && times[drop] <= horizon) {
        drop++;
      }
      if (drop > 0) {
        times.splice(0, drop);
      }
    }
  }
}

/** Events per second between the first (not before `since`) and the last of `times`; undefined without two. */
function rateBetween(times: readonly number[], since: number): number | undefined {
  let first = times.length - 1;
  while (first > 0 && times[first - 1] >= since) {
    first--;
  }
  const count = times.length - first;
  const spanMs = count >= 2 ? times[times.length - 1] - times[first] : 0;
  return spanMs > 0 ? ((count - 1) * 1000) / spanMs : undefined;
}
