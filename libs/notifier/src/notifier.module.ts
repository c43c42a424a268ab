import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IamModule } from '@app/iam';
import { notifierConfig, type NotifierConfig } from './config/notifier.config';
import { EmailDeliveryService } from './delivery/email-delivery.service';
import { DryRunEmailDriver } from './drivers/dry-run-email.driver';
import { selectEmailDriver } from './drivers/email-driver.factory';
import type { EmailDriver } from './drivers/email-driver.interface';
import { SesEmailDriver } from './drivers/ses-email.driver';
import { RotationNotifierJob } from './job/rotation-notifier.job';
import { EMAIL_DRIVER } from './notifier.constants';
import { OwnerResolverService } from './owners/owner-resolver.service';
import { SesClientProvider } from './ses/ses-client.provider';

@Module({
  imports: [ConfigModule.forFeature(notifierConfig), IamModule],
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
    OwnerResolverService,
    EmailDeliveryService,
    RotationNotifierJob,
  ],
  exports: [RotationNotifierJob, SesClientProvider, EMAIL_DRIVER],
})
export class NotifierModule {}
