import { Injectable } from '@nestjs/common';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import type { ScanQuery, ScanResult } from '../iam.types';
import type { ScanStrategy } from './scan-strategy.interface';

// Placeholder until the credential report strategy lands; it fails loudly rather than answering wrong.
@Injectable()
export class CredentialReportStrategy implements ScanStrategy {
  readonly source = 'credential-report' as const;

  scan(_query: ScanQuery): Promise<ScanResult> {
    return Promise.reject(new IamException(IamErrorCode.ReportNotReady, 'Credential report scanning is not built yet'));
  }
}
