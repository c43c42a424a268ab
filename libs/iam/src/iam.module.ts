import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IamClientProvider } from './client/iam-client.provider';
import { iamConfig } from './config/iam.config';
import { IAM_CLOCK, systemClock } from './iam.constants';
import { OldKeysService } from './scan/old-keys.service';
import { CredentialReportStrategy } from './strategies/credential-report.strategy';
import { ListUsersStrategy } from './strategies/list-users.strategy';

const iamConfigModule = ConfigModule.forFeature(iamConfig);

@Module({
  imports: [iamConfigModule],
  providers: [
    IamClientProvider,
    ListUsersStrategy,
    CredentialReportStrategy,
    OldKeysService,
    { provide: IAM_CLOCK, useValue: systemClock },
  ],
  // The config goes out too, so consumers (e.g. the notifier's tag lookups) share its limits without loading it again.
  exports: [iamConfigModule, IamClientProvider, ListUsersStrategy, CredentialReportStrategy, OldKeysService, IAM_CLOCK],
})
export class IamModule {}
