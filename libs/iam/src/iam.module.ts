import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IamClientProvider } from './client/iam-client.provider';
import { iamConfig } from './config/iam.config';
import { IAM_CLOCK, systemClock } from './iam.constants';
import { OldKeysService } from './scan/old-keys.service';
import { CredentialReportStrategy } from './strategies/credential-report.strategy';
import { ListUsersStrategy } from './strategies/list-users.strategy';

@Module({
  imports: [ConfigModule.forFeature(iamConfig)],
  providers: [
    IamClientProvider,
    ListUsersStrategy,
    CredentialReportStrategy,
    OldKeysService,
    { provide: IAM_CLOCK, useValue: systemClock },
  ],
  exports: [IamClientProvider, ListUsersStrategy, CredentialReportStrategy, OldKeysService, IAM_CLOCK],
})
export class IamModule {}
