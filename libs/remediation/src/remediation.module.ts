import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { AccountsModule } from '@app/accounts';
import { FindingsModule } from '@app/findings';
import { iamConfig } from '@app/iam';
import { EMAIL_DRIVER, NotifierModule, notifierConfig } from '@app/notifier';
import { StoreModule } from '@app/store';
import { RemediationIamClientProvider } from './client/remediation-iam-client.provider';
import { remediationConfig } from './config/remediation.config';
import { FileKillSwitch } from './job/kill-switch';
import { RemediationJob } from './job/remediation.job';
import {
  REMEDIATION_CLOCK,
  REMEDIATION_IAM_CLIENTS,
  REMEDIATION_KILL_SWITCH,
  REMEDIATION_MAILER,
} from './remediation.constants';

/**
 * The remediation job and its write door to IAM. Imported by apps/remediator only: the API never loads this
 * module (test/deploy/remediation-identity.e2e-spec.ts checks its module graph), so it cannot reach a write.
 */
@Module({
  imports: [
    ConfigModule.forFeature(remediationConfig),
    ConfigModule.forFeature(iamConfig),
    ConfigModule.forFeature(notifierConfig),
    AccountsModule,
    FindingsModule,
    StoreModule,
    // The notifier's email driver (SES, or files with NOTIFIER_DRY_RUN_DIR) sends the notices and the digest.
    NotifierModule,
  ],
  providers: [
    RemediationIamClientProvider,
    { provide: REMEDIATION_IAM_CLIENTS, useExisting: RemediationIamClientProvider },
    {
      provide: REMEDIATION_KILL_SWITCH,
      inject: [remediationConfig.KEY],
      useFactory: (config: ConfigType<typeof remediationConfig>) => new FileKillSwitch(config.killSwitchFile),
    },
    { provide: REMEDIATION_MAILER, useExisting: EMAIL_DRIVER },
    { provide: REMEDIATION_CLOCK, useValue: () => new Date() },
    RemediationJob,
  ],
  exports: [RemediationJob],
})
export class RemediationModule {}
