import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import { IamErrorCode, IamException } from '../errors/iam.exception';

/** The abort reason of a scan whose SCAN_MAX_DURATION_MS ran out. */
export class ScanDeadlineExceeded extends Error {
  override readonly name = 'ScanDeadlineExceeded';

  constructor(readonly maxMs: number) {
    super(`the scan ran past SCAN_MAX_DURATION_MS (${maxMs} ms)`);
  }
}

/** The error a scan's callers get when its deadline bites; `action` names the IAM call that was running. */
export function scanTimeoutError(maxMs: number, action: string | undefined, cause?: unknown): IamException {
  const running = action ? `; ${action} was running` : '';
  return new IamException(
    IamErrorCode.Timeout,
    `The scan did not finish within SCAN_MAX_DURATION_MS (${maxMs} ms)${running}`,
    { action, cause },
  );
}

/** The error of an IAM step ended by its signal: the scan's deadline, or the caller's own bound (a readiness probe). */
export function abortedError(signal: AbortSignal, action: string): IamException {
  const reason: unknown = signal.reason;
  if (reason instanceof ScanDeadlineExceeded) {
    return scanTimeoutError(reason.maxMs, action, reason);
  }
  return new IamException(IamErrorCode.Timeout, `IAM did not answer ${action} in time`, { action, cause: reason });
}

/** Resolves with `promise`, or rejects with abortedError once `signal` aborts, whichever comes first. */
export async function unlessAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  action: string,
): Promise<T> {
  if (!signal) {
    return promise;
  }
  if (signal.aborted) {
    throw abortedError(signal, action);
  }
  let onAbort!: () => void;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(abortedError(signal, action));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * One scan's overall time budget. When it runs out, `signal` aborts every IAM request the scan has out or
 * sends later, and `expired` rejects with a 504 naming the IAM action that was running, so whoever waits
 * on the scan is answered then even if some step of it does not stop at once.
 */
export class ScanDeadline {
  readonly expired: Promise<never>;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly running: string[] = [];
  private lastAction?: string;

  constructor(readonly maxMs: number) {
    let expire!: (err: IamException) => void;
    this.expired = new Promise<never>((_resolve, reject) => (expire = reject));
    // Only those who race it see the rejection; an unobserved one must not crash the process.
    this.expired.catch(() => undefined);
    this.timer = setTimeout(() => {
      const reason = new ScanDeadlineExceeded(maxMs);
      // Rejected before the abort, so waiters hear of the deadline before the aborted calls' own errors.
      expire(scanTimeoutError(maxMs, this.action, reason));
      this.controller.abort(reason);
    }, maxMs);
    this.timer.unref();
    // Every request and wait of the scan listens on this one signal: as many as the scan has out, by design.
    setMaxListeners(0, this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The IAM action running now (the latest started, if several), else the last one that ran. */
  get action(): string | undefined {
    return this.running.at(-1) ?? this.lastAction;
  }

  /** Marks one IAM call as running; call the result when it is over. */
  enter(action: string): () => void {
    this.running.push(action);
    this.lastAction = action;
    let left = false;
    return () => {
      if (!left) {
        left = true;
        this.running.splice(this.running.lastIndexOf(action), 1);
      }
    };
  }

  /** The scan is over: the timer no longer matters. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** The deadline of the scan an IAM call belongs to, for the client without threading it through every call. */
export const scanDeadlineStorage = new AsyncLocalStorage<ScanDeadline>();
