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

  /** Counts another meter's calls as this one's: a step of the scan that was metered on its own (e.g. started ahead). */
  add(other: IamCallMeter): void {
    for (const [action, calls] of Object.entries(other.callsByAction)) {
      this.callsByAction[action] = (this.callsByAction[action] ?? 0) + calls;
    }
    this.throttles += other.throttles;
    this.retries += other.retries;
    this.errors += other.errors;
  }

  get totalCalls(): number {
    return Object.values(this.callsByAction).reduce((a, b) => a + b, 0);
  }
}

/** Lets the SDK middleware find the meter of the scan that issued a request without threading it through every call. */
export const meterStorage = new AsyncLocalStorage<IamCallMeter>();
