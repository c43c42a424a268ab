import { setTimeout as delay } from 'node:timers/promises';

/** Overrides how the credential report strategy waits between polls (tests pass one that only advances a fake clock). */
export const REPORT_POLL_SLEEP = Symbol('REPORT_POLL_SLEEP');

export type Sleep = (ms: number) => Promise<void>;

export const timerSleep: Sleep = async (ms) => {
  await delay(ms);
};

/** Backoff ceiling between two polls, unless the configured first interval is already longer. */
export const REPORT_POLL_MAX_DELAY_MS = 10_000;

/** Never tell a client to come back sooner than this: AWS takes seconds to minutes to build a report. */
export const REPORT_MIN_RETRY_AFTER_SECONDS = 5;
