import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AccountsModule } from '@app/accounts';
import { IamClientProvider } from './client/iam-client.provider';
import { IamClientRegistry } from './client/iam-client.registry';
import { iamConfig } from './config/iam.config';
import { IAM_CLOCK, systemClock } from './iam.constants';
import { OrganizationScanService } from './organization/organization-scan.service';
import { OldKeysService } from './scan/old-keys.service';
import { CredentialReportStrategy } from './strategies/credential-report.strategy';
import { ListUsersStrategy } from './strategies/list-users.strategy';

const iamConfigModule = ConfigModule.forFeature(iamConfig);

@Module({
  imports: [iamConfigModule, AccountsModule],
  providers: [
    IamClientProvider,
    IamClientRegistry,
    ListUsersStrategy,
    CredentialReportStrategy,
    OldKeysService,
    OrganizationScanService,
    { provide: IAM_CLOCK, useValue: systemClock },
  ],
  // The config goes out too, so consumers (e.g. the notifier's tag lookups) share its limits without loading it again;
  // AccountsModule too, so they reach the same directory and STS sessions.
  exports: [
    iamConfigModule,
    AccountsModule,
    IamClientProvider,
    IamClientRegistry,
    ListUsersStrategy,
    CredentialReportStrategy,
    OldKeysService,
    OrganizationScanService,
    IAM_CLOCK,
  ],
})
export class IamModule {}
