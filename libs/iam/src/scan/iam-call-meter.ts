import { AsyncLocalStorage } from 'node:async_hooks';

/** Counts what one scan cost IAM; read by the scan's summary log line and by the benchmarks. */
export class IamCallMeter {
  readonly callsByAction: Record<string, number> = {};
  throttles = 0;
  retries = 0;
  errors = 0;

  attempt(action: string): void {
    this.callsByAction[action] = (this.callsByAction[action] ?? 0) + 1;
  }

  get totalCalls(): number {
    return Object.values(this.callsByAction).reduce((a, b) => a + b, 0);
  }
}

/** Lets the SDK middleware find the meter of the scan that issued a request without threading it through every call. */
export const meterStorage = new AsyncLocalStorage<IamCallMeter>();
