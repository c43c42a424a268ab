import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthFailure, type AccountRouter, type Caller } from './account-router';
import { CountedRequest, type AccountState, type CounterBox } from './account-state';
import type { EmulatedLatency } from './emulated-latency';

export type Identified = { caller: Caller; failure?: undefined } | { caller?: undefined; failure: AuthFailure };

/** What every protocol endpoint of the emulator shares: who signed, counting, latency, holding forever. */
export class RequestSupport {
  constructor(
    readonly router: AccountRouter,
    private readonly global: CounterBox,
    readonly latency: EmulatedLatency,
    private readonly requireAuth: boolean,
    private readonly stopping: () => AbortSignal,
  ) {}

  identify(req: IncomingMessage): Identified {
    try {
      return { caller: this.router.identify(req.headers, this.requireAuth) };
    } catch (err) {
      if (err instanceof AuthFailure) {
        return { failure: err };
      }
      throw err;
    }
  }

  /** In the emulator's counters and, when known, the account's; `inFlight` for IAM calls only. */
  count(state: AccountState | undefined, action: string, inFlight = false): CountedRequest {
    return new CountedRequest(state ? [this.global, state.counters] : [this.global], action, inFlight);
  }

  /** Holds a request for its drawn latency, counted from its arrival; resolves to that latency. */
  async hold(arrivedAt: number): Promise<number> {
    const latencyMs = this.latency.draw();
    await this.latency.hold(arrivedAt, latencyMs, this.stopping());
    return latencyMs;
  }

  /** Until the client closes the connection or the emulator stops (which closes every connection). */
  holdUnanswered(res: ServerResponse): Promise<void> {
    const signal = this.stopping();
    return new Promise((resolve) => {
      res.once('close', () => resolve());
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
