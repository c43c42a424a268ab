export const IAM_CLOCK = Symbol('IAM_CLOCK');
/** Overrides the AdaptiveRateGovernor the IAM client paces its calls with (one per process by default). */
export const IAM_RATE_GOVERNOR = Symbol('IAM_RATE_GOVERNOR');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const HOUR_MS = 3_600_000;
/** 100 years: far beyond any real key's age, small enough to keep date arithmetic exact. */
export const MAX_HOURS = 876_000;
