import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { notifierConfig } from '../config/notifier.config';
import type { OutgoingEmail } from '../notifier.types';
import { SesClientProvider } from '../ses/ses-client.provider';
import type { DeliveryReceipt, EmailDriver } from './email-driver.interface';

/** Sends through SES; the client provider keeps every attempt under the configured send rate. */
@Injectable()
export class SesEmailDriver implements EmailDriver {
  readonly kind = 'ses' as const;

  constructor(
    private readonly ses: SesClientProvider,
    @Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>,
  ) {}

  async deliver(email: OutgoingEmail): Promise<DeliveryReceipt> {
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
