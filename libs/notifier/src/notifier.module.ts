import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { FindingsModule } from '@app/findings';
import { IamModule, OrganizationScanService } from '@app/iam';
import { StoreModule } from '@app/store';
import { notifierConfig, type NotifierConfig } from './config/notifier.config';
import { EmailDeliveryService } from './delivery/email-delivery.service';
import { DryRunEmailDriver } from './drivers/dry-run-email.driver';
import { selectEmailDriver } from './drivers/email-driver.factory';
import type { EmailDriver } from './drivers/email-driver.interface';
import { SesEmailDriver } from './drivers/ses-email.driver';
import { RotationNotifierJob } from './job/rotation-notifier.job';
import { NotifierLadderService } from './ladder/notifier-ladder.service';
import { EMAIL_DRIVER, KEY_SCANNER, OWNER_TAG_READER } from './notifier.constants';
import { OwnerResolverService } from './owners/owner-resolver.service';
import { RegistryOwnerTagReader } from './owners/registry-owner-tag.reader';
import { SesClientProvider } from './ses/ses-client.provider';

@Module({
  // IamModule brings AccountsModule: ACCOUNTS_SOURCE decides which accounts the job covers (self by default).
  // FindingsModule: EXEMPTIONS_FILE, read and checked at boot, silences the reminders of exempted keys.
  // StoreModule: the ladder per key (what was sent, what was resolved) and the digests sent.
  imports: [ConfigModule.forFeature(notifierConfig), IamModule, FindingsModule, StoreModule],
  providers: [
    SesClientProvider,
    SesEmailDriver,
    DryRunEmailDriver,
    {
      provide: EMAIL_DRIVER,
      inject: [notifierConfig.KEY, SesEmailDriver, DryRunEmailDriver],
      useFactory: (config: NotifierConfig, ses: EmailDriver, dryRun: EmailDriver) =>
        selectEmailDriver(config, { ses, dryRun }),
    },
    { provide: KEY_SCANNER, useExisting: OrganizationScanService },
    { provide: OWNER_TAG_READER, useClass: RegistryOwnerTagReader },
    OwnerResolverService,
    EmailDeliveryService,
    NotifierLadderService,
    RotationNotifierJob,
  ],
  exports: [RotationNotifierJob, SesClientProvider, EMAIL_DRIVER],
})
export class NotifierModule {}
