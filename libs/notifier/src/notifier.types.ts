import type { AccessKeyStatus } from '@app/iam';

export type KeyState = 'warning' | 'expired';

/** A key past the warning age, with what its owner must be told. */
export interface ClassifiedKey {
  userName: string;
  accessKeyId: string;
  status: AccessKeyStatus;
  createdDate: Date;
  /** Whole days since creation, rounded down. */
  ageDays: number;
  state: KeyState;
  /** Creation plus the expiry age: from this instant the key must be rotated. */
  expiresAt: Date;
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
}

export interface DeliveryResult {
  email: OutgoingEmail;
  ok: boolean;
  messageId?: string;
  files?: string[];
  error?: string;
}

export interface NotifierSummary {
  event: 'notifier.summary';
  driver: 'ses' | 'dry-run';
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
  exitCode: number;
  durationMs: number;
  error?: string;
}
