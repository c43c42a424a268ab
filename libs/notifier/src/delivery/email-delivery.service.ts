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

  /**
   * `afterEach` sees each result as soon as it is known (the notifier records there what SES accepted). When it
   * throws, nothing more is sent (a message sent but never recorded goes again next run) and deliverAll rejects
   * with that error once the messages in flight are done.
   */
  async deliverAll(
    emails: readonly OutgoingEmail[],
    afterEach?: (result: DeliveryResult) => Promise<void>,
  ): Promise<DeliveryResult[]> {
    const limiter = new ConcurrencyLimiter(this.config.ses.concurrency);
    let stopped: { error: unknown } | undefined;
    const results = await Promise.all(
      emails.map((email) =>
        limiter.run(async (): Promise<DeliveryResult> => {
          if (stopped) {
            return { email, ok: false, error: 'not sent: recording an earlier message failed' };
          }
          const result = await this.deliverOne(email);
          try {
            await afterEach?.(result);
          } catch (error) {
            stopped ??= { error };
          }
          return result;
        }),
      ),
    );
    if (stopped) {
      throw stopped.error;
    }
    return results;
  }

  private async deliverOne(email: OutgoingEmail): Promise<DeliveryResult> {
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
  }
}
