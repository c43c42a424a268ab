import type { AccessKeyStatus, AccountRef } from '@app/iam';
import type { LadderResolution, LadderStage } from './ladder/ladder';

export type KeyState = 'warning' | 'expired';

/** A key past the warning age, with what its owner must be told. */
export interface ClassifiedKey {
  /** The account the key lives in: its owner signs in there to rotate it. */
  accountId: string;
  /** Known when Organizations lists the account. */
  accountName?: string;
  userName: string;
  accessKeyId: string;
  status: AccessKeyStatus;
  createdDate: Date;
  /** Whole days since creation, rounded down. */
  ageDays: number;
  state: KeyState;
  /** Creation plus the expiry age: from this instant the key must be rotated. */
  expiresAt: Date;
  /** The ladder stage whose email is due now (set by the job for the keys it mails). */
  stage?: LadderStage;
  /** The stored ladder the stage belongs to. */
  ladderId?: number;
}

/** A key whose ladder closed: what an owner's next email, and the digest, report as resolved. */
export interface ResolvedKey {
  ladderId: number;
  accountId: string;
  userName: string | null;
  accessKeyId: string;
  resolution: LadderResolution;
  /** The user's newer key, for a rotation. */
  rotatedTo: string | null;
  closedAt: Date;
  /** Who got the ladder's last email: the one to tell. */
  lastRecipient?: string;
}

/** What the store must record once SES accepted a message. */
export interface EmailRecords {
  stages: Array<{ ladderId: number; accountId: string; accessKeyId: string; stage: LadderStage }>;
  /** Ladders whose resolution the message reports. */
  resolvedLadderIds: number[];
  /** Set on a digest: its summary, kept with it. */
  digest?: Record<string, unknown>;
}

export type OwnerResolution =
  | { kind: 'owner'; address: string }
  | { kind: 'fallback'; reason: 'missing-tag' }
  | { kind: 'fallback'; reason: 'invalid-address'; value: string }
  | { kind: 'fallback'; reason: 'lookup-failed'; error: string };

export type FallbackReason = Extract<OwnerResolution, { kind: 'fallback' }>['reason'];

export type EmailKind = 'owner' | 'fallback' | 'digest';

/** One rendered message for one recipient. */
export interface OutgoingEmail {
  kind: EmailKind;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** The access key ids the message covers, for logs and tests. */
  accessKeyIds: string[];
  /** What to record in the store once SES accepted it (the notifier's ladder). */
  records?: EmailRecords;
}

export interface DeliveryResult {
  email: OutgoingEmail;
  ok: boolean;
  messageId?: string;
  files?: string[];
  error?: string;
}

/** Users are named within their account: the same name in two accounts is two users, perhaps two owners. */
export type OwnerMap = ReadonlyMap<string, OwnerResolution>;

/** The owner map's key for one IAM user of one account. */
export function ownerKey(user: Pick<AccountRef, 'accountId'> & { userName: string }): string {
  return `${user.accountId}/${user.userName}`;
}

export interface NotifierSummary {
  event: 'notifier.summary';
  driver: 'ses' | 'dry-run';
  /** Accounts scanned, failed (their keys were not checked: exit code 1) and skipped (not ACTIVE). */
  accountsOk: number;
  accountsFailed: number;
  accountsSkipped: number;
  /** The ids of the accounts that could not be scanned, when any. */
  failedAccounts?: string[];
  usersSeen: number;
  keysSeen: number;
  warned: number;
  expired: number;
  invalidOwners: number;
  ownersWithoutTag: number;
  /** Users whose owner tag IAM would not give us: their keys went to the fallback recipients. */
  ownerLookupsFailed: number;
  emailsPlanned: number;
  emailsSent: number;
  emailsFailed: number;
  /** Messages rendered but deliberately not sent: every message in dry-run mode. */
  emailsSkipped: number;
  /** Keys past the warning age that an exemption in force (covering `old`) kept from their owners. */
  exempted: number;
  /** Keys past their age whose exemption has expired: reminded again and listed in the digest. */
  exemptionsLapsed: number;
  /** Ladders opened for keys newly past the warning age, and closed because their key was resolved. */
  laddersOpened: number;
  laddersClosed: number;
  /** Keys by ladder stage: every open ladder of the accounts scanned, by the last stage sent (`none` before any). */
  keysByStage: Record<string, number>;
  /** Stages SES accepted and the store recorded this run, by stage. */
  stagesSent: Record<string, number>;
  /** Stages due but not recorded (send failed): retried on the next run. */
  stagesPending: number;
  /** Whether a digest went out (at most one a UTC day). */
  digestSent: boolean;
  /** Median days from warning to rotation or deletion over the last 30 and 90 days (null: none). */
  medianRotationDays30: number | null;
  medianRotationDays90: number | null;
  exitCode: number;
  durationMs: number;
  error?: string;
}
