export const IAM_CALL_OBSERVER = Symbol('IAM_CALL_OBSERVER');

export type IamCallOutcome = 'ok' | 'throttled' | 'error';

/** Receives one event per HTTP attempt to IAM (retries included), e.g. for Prometheus counters. */
export interface IamCallObserver {
  /** `accountId` is the account whose IAM was called ('self' for the own account before its id is known). */
  onAttempt(action: string, outcome: IamCallOutcome, durationMs: number, accountId?: string): void;
}
