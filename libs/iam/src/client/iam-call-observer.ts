export const IAM_CALL_OBSERVER = Symbol('IAM_CALL_OBSERVER');

export type IamCallOutcome = 'ok' | 'throttled' | 'error';

/** Receives one event per HTTP attempt to IAM (retries included), e.g. for Prometheus counters. */
export interface IamCallObserver {
  onAttempt(action: string, outcome: IamCallOutcome, durationMs: number): void;
}
