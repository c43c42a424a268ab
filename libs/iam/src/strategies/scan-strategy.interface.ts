import type { ScanQuery, ScanResult, ScanSource } from '../iam.types';

export interface ScanStrategy {
  readonly source: ScanSource;
  scan(query: ScanQuery): Promise<ScanResult>;
}
