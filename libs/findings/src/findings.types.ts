export const FINDING_CODES = ['old', 'unused', 'never_used', 'two_active'] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

/** Root keys are judged alone: a root user holding two keys is one finding too many already. */
export const ROOT_FINDING_CODES: readonly FindingCode[] = ['old', 'unused', 'never_used'];

export type KeyStatus = 'Active' | 'Inactive';

/** What the credential report calls the root user; its keys are known by slot only. */
export const ROOT_USER_NAME = '<root_account>';

/**
 * One access key as the policy needs it, whichever source read it. Last use is null where IAM has none
 * (never used: the report's `N/A`, GetAccessKeyLastUsed without a LastUsedDate).
 */
export interface KeyFacts {
  accountId: string;
  /** ROOT_USER_NAME for the root user's keys. */
  userName: string;
  /** The root user's keys have none in the credential report: `<root_account>:1` style ids are the caller's choice. */
  accessKeyId: string;
  status: KeyStatus;
  createdDate: Date;
  lastUsedDate: Date | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
  /** The root user's key: never `two_active`. */
  root?: boolean;
}

export interface FindingThresholds {
  /** `old` from this age on. */
  rotationMaxAgeHours: number;
  /** `unused` when last used at least this many days ago. */
  unusedMaxDays: number;
  /** `never_used` only once the key is at least this old. */
  neverUsedGraceHours: number;
}

export interface KeyFindings<K extends KeyFacts = KeyFacts> {
  key: K;
  /** In FINDING_CODES order; empty when the key is fine. */
  findings: FindingCode[];
}
