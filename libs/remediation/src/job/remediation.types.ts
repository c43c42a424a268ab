import type { RemediationDecisionInput, RemediationOutcome } from '@app/store';
import type { RemediationMode } from '../config/remediation.config';

export type ActiveMode = Exclude<RemediationMode, 'off'>;

/** What a run decided about one key, before it is stored (the run id and mode are the run's). */
export type Decision = Omit<RemediationDecisionInput, 'runId' | 'mode'>;

export interface PendingAction {
  kind: 'deactivate' | 'delete';
  accountId: string;
  userName: string;
  accessKeyId: string;
  /** The ladder the action is taken on (null: a key warned before ladders). */
  ladderId: number | null;
  /** The creation date read when deciding: a key with another one at action time is not the key decided on. */
  expectedCreatedAt: Date;
  /** Who is told (the final warning's recipient), when known. */
  recipient: string | null;
}

export interface OwnerNotice {
  kind: 'before' | 'after';
  to: string;
  accountId: string;
  userName: string;
  accessKeyId: string;
  /** before: the day it will be deactivated; after: when it was. */
  at: Date;
}

export interface RemediationPlan {
  runId: number;
  mode: ActiveMode;
  decidedAt: Date;
  /** Decided and already stored: spared, refused, reactivated, notified. */
  decisions: Decision[];
  /** To take, in order, each re-checked live right before. */
  actions: PendingAction[];
  notices: OwnerNotice[];
  /** Set when a limit refused the whole run. */
  refusedBy?: 'outside-window' | 'over-max-per-run';
}

export type RunStatus = 'complete' | 'refused' | 'stopped' | 'failed';

export interface RemediationRunSummary {
  event: 'remediation.summary';
  runId: number | null;
  mode: RemediationMode;
  /** `busy`: another run held the lease, this one did nothing. */
  status: RunStatus | 'off' | 'busy';
  /** Decisions by outcome. */
  outcomes: Partial<Record<RemediationOutcome, number>>;
  /** Spared decisions by reason. */
  spared: Record<string, number>;
  /** Refused decisions by reason. */
  refused: Record<string, number>;
  emailsSent: number;
  emailsFailed: number;
  /** Set when the kill switch stopped the run (before it started, or between two actions): the operator's reason. */
  killSwitch?: { reason: string };
}
