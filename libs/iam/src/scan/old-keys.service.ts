import { Injectable } from '@nestjs/common';
import type { ScanQuery, ScanResult, ScanSource } from '../iam.types';
import { CredentialReportStrategy } from '../strategies/credential-report.strategy';
import { ListUsersStrategy } from '../strategies/list-users.strategy';
import type { ScanStrategy } from '../strategies/scan-strategy.interface';

@Injectable()
export class OldKeysService {
  constructor(
    private readonly listUsers: ListUsersStrategy,
    private readonly credentialReport: CredentialReportStrategy,
  ) {}

  strategyFor(source: ScanSource): ScanStrategy {
    switch (source) {
      case 'list-users':
        return this.listUsers;
      case 'credential-report':
        return this.credentialReport;
      default: {
        const _exhaustive: never = source;
        throw new Error(`Unknown scan source ${String(_exhaustive)}`);
      }
    }
  }

  scan(source: ScanSource, query: ScanQuery): Promise<ScanResult> {
    return this.strategyFor(source).scan(query);
  }
}
