export type ScanSource = 'list-users' | 'credential-report';
export type ScanTrigger = 'schedule' | 'on-demand' | 'job' | 'startup';
export type ScanStatus = 'running' | 'complete' | 'partial' | 'failed';
export type ScanAccountStatus = 'pending' | 'complete' | 'failed' | 'skipped';
export type StoredKeyStatus = 'Active' | 'Inactive';
export type StoredFindingCode = 'old' | 'unused' | 'never_used' | 'two_active';

/** One key as a scan read it. */
export interface KeyObservation {
  userName: string;
  accessKeyId: string;
  status: StoredKeyStatus;
  createdAt: Date;
  lastUsedAt: Date | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
}

/** One account's complete part of a scan: every key it has now and the findings the policy gives them. */
export interface AccountScanResult {
  scanId: number;
  accountId: string;
  accountName?: string | null;
  /** When IAM was read: first seen, last seen, deleted and resolved times are this. */
  readAt: Date;
  /** The account's own scan time, without the wait for an account slot. */
  durationMs?: number;
  keys: KeyObservation[];
  findings: ReadonlyArray<{ accessKeyId: string; code: StoredFindingCode }>;
  /** Users whose keys this scan's source cannot see (the root user from ListUsers): their stored keys stay. */
  unseenUsers?: readonly string[];
  /** The users' tag exemptions the scan read (JSON the caller defines); replace the account's previous ones. */
  tagExemptions?: ReadonlyArray<{ userName: string; exemption: unknown }>;
}

/** What became of an account's part: recorded, or left out because a newer read of the account is recorded. */
export type RecordOutcome = ({ recorded: true } & AccountScanCounts) | { recorded: false; reason: 'SUPERSEDED' };

export interface AccountScanCounts {
  keysSeen: number;
  keysAdded: number;
  keysChanged: number;
  keysDeleted: number;
  findingsOpened: number;
  findingsResolved: number;
}

export interface StoredKey extends KeyObservation {
  accountId: string;
  firstSeen: Date;
  lastSeen: Date;
}

export interface AccountInventory {
  accountId: string;
  accountName: string | null;
  scanId: number;
  source: ScanSource;
  /** When the scan that these keys come from read IAM for this account. */
  dataReadAt: Date;
  keys: StoredKey[];
  /** Tag exemptions by user name, as the scan stored them. */
  tagExemptions: Map<string, unknown>;
}

export interface ScanView {
  id: number;
  source: ScanSource;
  trigger: ScanTrigger;
  status: ScanStatus;
  shard: string;
  startedAt: Date;
  finishedAt: Date | null;
  accounts: Array<
    {
      accountId: string;
      accountName: string | null;
      status: ScanAccountStatus;
      errorCode: string | null;
      finishedAt: Date | null;
    } & AccountScanCounts
  >;
}

/** An account's latest part in the scans that cover it now (the latest scan of each shard). */
export interface AccountState {
  accountId: string;
  accountName: string | null;
  status: ScanAccountStatus;
  /** The failure's code, or why it was skipped. */
  errorCode: string | null;
  finishedAt: Date | null;
  scanId: number;
}
