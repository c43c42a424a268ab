import { ConcurrencyLimiter } from './concurrency-limiter';

/** Calls built and signed ahead per slot, so a freed slot goes to a request that is ready to leave. */
const READY_PER_SLOT = 1;

/** Thrown by RequestSlots.acquire once a scan has stopped: the request never leaves. */
export class ScanStoppedError extends Error {
  override readonly name = 'ScanStopped';

  constructor() {
    super('the scan stopped before this request went out');
  }
}

/**
 * One scan's bound on its per-user IAM requests (IAM_CONCURRENCY): at most `limit` of them at IAM at
 * once, counted per HTTP attempt, not around the whole SDK call. The IAM client takes a slot once a
 * request is built and signed, and gives it back as soon as the answer is in, before parsing it; behind
 * the requests out, up to `limit` more calls are prepared. Holding a slot for the whole call, as a
 * plain limiter does, leaves it idle for the client's own work on every call (building, signing,
 * parsing, about a millisecond): on the emulator that kept a 5,000-user scan at 15 ms per call 15-19%
 * above the floor the limit allows, against 6-11% with the slots held for the HTTP exchange only.
 */
export class RequestSlots {
  private readonly requests: ConcurrencyLimiter;
  private readonly calls: ConcurrencyLimiter;
  private stopped = false;

  constructor(readonly limit: number) {
    this.requests = new ConcurrencyLimiter(limit);
    this.calls = new ConcurrencyLimiter(limit * (1 + READY_PER_SLOT));
  }

  /** Runs one call (any number of HTTP attempts) once it may be prepared; pass this object to the client. */
  run<T>(call: () => Promise<T>): Promise<T> {
    return this.calls.run(call);
  }

  /**
   * Taken by the IAM client around one HTTP attempt. Rejects with ScanStoppedError once the scan has
   * stopped, so the calls prepared behind a failure never spend IAM quota.
   */
  async acquire(): Promise<() => void> {
    const release = await this.requests.acquire();
    if (this.stopped) {
      release();
      throw new ScanStoppedError();
    }
    return release;
  }

  /** The scan failed: requests still waiting for a slot are dropped, those at IAM finish. */
  stop(): void {
    this.stopped = true;
  }

  /** The most requests that were at IAM at once. */
  get peakInFlight(): number {
    return this.requests.peakInFlight;
  }

  /** The most calls that were prepared or at IAM at once. */
  get peakCalls(): number {
    return this.calls.peakInFlight;
  }
}
