import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { notifierConfig } from '../config/notifier.config';
import { SendRatePacer } from '../delivery/send-rate-pacer';
import type { OutgoingEmail } from '../notifier.types';
import { SesClientProvider } from '../ses/ses-client.provider';
import type { DeliveryReceipt, EmailDriver } from './email-driver.interface';

/** Sends through SES, no faster than the configured rate so a large account stays under the SES send quota. */
@Injectable()
export class SesEmailDriver implements EmailDriver {
  readonly kind = 'ses' as const;
  private readonly pacer: SendRatePacer;

  constructor(
    private readonly ses: SesClientProvider,
    @Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>,
  ) {
    this.pacer = new SendRatePacer(config.ses.maxPerSecond);
  }

  async deliver(email: OutgoingEmail): Promise<DeliveryReceipt> {
    await this.pacer.acquire();
    const { messageId } = await this.ses.sendEmail({
      from: this.config.sender,
      to: [email.to],
      subject: email.subject,
      html: email.html,
      text: email.text,
    });
    return { messageId };
  }
}
