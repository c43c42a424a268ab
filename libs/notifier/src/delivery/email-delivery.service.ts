import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ConcurrencyLimiter } from '@app/iam';
import { notifierConfig } from '../config/notifier.config';
import type { EmailDriver } from '../drivers/email-driver.interface';
import { EMAIL_DRIVER } from '../notifier.constants';
import type { DeliveryResult, OutgoingEmail } from '../notifier.types';

/** Hands every message to the driver, a bounded number at a time; one failure never stops the others. */
@Injectable()
export class EmailDeliveryService {
  private readonly logger = new Logger(EmailDeliveryService.name);

  constructor(
    @Inject(EMAIL_DRIVER) readonly driver: EmailDriver,
    @Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>,
  ) {}

  async deliverAll(emails: readonly OutgoingEmail[]): Promise<DeliveryResult[]> {
    const limiter = new ConcurrencyLimiter(this.config.ses.concurrency);
    return Promise.all(
      emails.map((email) =>
        limiter.run(async (): Promise<DeliveryResult> => {
          try {
            const receipt = await this.driver.deliver(email);
            return { email, ok: true, ...receipt };
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            this.logger.error({
              msg: 'An email could not be sent',
              event: 'notifier.send-failed',
              kind: email.kind,
              to: email.to,
              error,
            });
            return { email, ok: false, error };
          }
        }),
      ),
    );
  }
}
