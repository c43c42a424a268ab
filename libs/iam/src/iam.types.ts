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

export interface IamAccessKey {
  userName: string;
  accessKeyId: string;
  status: AccessKeyStatus;
  createDate: Date;
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
}

export interface OldAccessKey {
  userName: string;
  accessKeyId: string;
  createdDate: Date;
  status: AccessKeyStatus;
  ageHours: number;
}

/** Root keys have no IAM user and the report gives no key id, so they are reported beside the user keys. */
export interface RootAccessKey {
  slot: 1 | 2;
  active: boolean;
  lastRotated: Date;
  ageHours: number;
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
