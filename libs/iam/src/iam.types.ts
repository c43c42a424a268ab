export type AccessKeyStatus = 'Active' | 'Inactive';

export interface IamUser {
  userName: string;
  createDate: Date;
}

export interface UsersPage {
  users: IamUser[];
  /** Present only while IAM says the listing is truncated. */
  nextMarker?: string;
}

/** When IAM last saw a key used; every field null where IAM has none (never used: the report's `N/A`). */
export interface KeyLastUse {
  lastUsedDate: Date | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
}

export interface IamAccessKey {
  userName: string;
  accessKeyId: string;
  status: AccessKeyStatus;
  createDate: Date;
  /** Only when the scan asked for last use (ScanQuery.lastUse). */
  lastUse?: KeyLastUse;
}

export type CredentialReportState = 'STARTED' | 'INPROGRESS' | 'COMPLETE';

export interface CredentialReport {
  content: Uint8Array;
  generatedTime: Date;
}

export type ScanSource = 'list-users' | 'credential-report';

export interface ScanQuery {
  hours: number;
  includeInactive: boolean;
  /**
   * Each key's last use too: free from the credential report, one GetAccessKeyLastUsed per key live. Only the
   * inventory asks for it, so the old-keys routes never pay for those calls.
   */
  lastUse?: boolean;
}

export interface OldAccessKey {
  userName: string;
  accessKeyId: string;
  createdDate: Date;
  status: AccessKeyStatus;
  ageHours: number;
  /** Present when the scan asked for last use. */
  lastUse?: KeyLastUse;
}

/** Root keys have no IAM user and the report gives no key id, so they are reported beside the user keys. */
export interface RootAccessKey {
  slot: 1 | 2;
  active: boolean;
  lastRotated: Date;
  ageHours: number;
  /** From the report's last-use columns, when the scan asked for last use. */
  lastUse?: KeyLastUse;
}

export interface ScanStats {
  usersSeen: number;
  usersSkippedYoung: number;
  usersVanished: number;
  /** Credential report only: users whose key ids came from the warm cache instead of ListAccessKeys. */
  keyIdsFromCache?: number;
  callsByAction: Record<string, number>;
  throttles: number;
  retries: number;
  peakInFlight: number;
  durationMs: number;
}

export interface ScanResult {
  source: ScanSource;
  keys: OldAccessKey[];
  rootKeys: RootAccessKey[];
  /** When IAM was read (for the report, when the report was generated). */
  dataReadAt: Date;
  reportGeneratedAt?: Date;
  stats: ScanStats;
}
