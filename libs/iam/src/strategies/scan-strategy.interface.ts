import type { IamAccountClient } from '../client/iam-account.client';
import type { ScanQuery, ScanResult, ScanSource } from '../iam.types';

export interface ScanStrategy {
  readonly source: ScanSource;
  /** Scans the account `iam` reads (the own account when omitted). */
  scan(query: ScanQuery, iam?: IamAccountClient): Promise<ScanResult>;
}
