import { IamErrorCode, IamException } from '../errors/iam.exception';
import type { Clock } from '../iam.constants';
import { unlessAborted } from '../scan/scan-deadline';
import { REPORT_MIN_RETRY_AFTER_SECONDS, REPORT_POLL_MAX_DELAY_MS, type Sleep } from './report.constants';

export interface ReportPollOptions {
  /** First delay; each later one doubles, up to a ceiling. */
  intervalMs: number;
  /** Total time the whole poll may take, counted from construction. */
  maxWaitMs: number;
}

/**
 * The waiting between credential report polls: exponential backoff within one overall budget, on the
 * injected clock and sleep so tests run without waiting. Once the budget is spent, `wait` throws
 * ReportNotReady with a retry hint instead of sleeping.
 */
export class ReportPoll {
  private readonly startedAt: number;
  private readonly maxDelayMs: number;
  private nextDelayMs: number;

  constructor(
    private readonly options: ReportPollOptions,
    private readonly clock: Clock,
    private readonly sleep: Sleep,
    /** Ends a wait early (the scan's deadline) with a 504 instead of sleeping on. */
    private readonly signal?: AbortSignal,
  ) {
    this.startedAt = clock.now().getTime();
    this.nextDelayMs = options.intervalMs;
    this.maxDelayMs = Math.max(options.intervalMs, REPORT_POLL_MAX_DELAY_MS);
  }

  /** @param waitingFor what is not ready yet, for the error message */
  async wait(waitingFor: string): Promise<void> {
    const remaining = this.options.maxWaitMs - (this.clock.now().getTime() - this.startedAt);
    if (remaining <= 0) {
      throw new IamException(
        IamErrorCode.ReportNotReady,
        `The credential report was not ready after ${Math.round(this.options.maxWaitMs / 1000)} s (${waitingFor})`,
        { action: 'GetCredentialReport', retryAfterSeconds: this.retryAfterSeconds() },
      );
    }
    const delayMs = Math.min(this.nextDelayMs, remaining);
    this.nextDelayMs = Math.min(this.nextDelayMs * 2, this.maxDelayMs);
    await unlessAborted(this.sleep(delayMs), this.signal, 'GetCredentialReport');
  }

  /** About one more backoff step: the report keeps building on AWS's side after we stop waiting. */
  private retryAfterSeconds(): number {
    return Math.max(REPORT_MIN_RETRY_AFTER_SECONDS, Math.ceil(this.nextDelayMs / 1000));
  }
}
