import { setTimeout as sleep } from 'node:timers/promises';
import { SESv2Client, SendEmailCommand, type SESv2ClientConfig } from '@aws-sdk/client-sesv2';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { awsHttpHandler, redactUserinfo } from '@app/platform';
import { notifierConfig } from '../config/notifier.config';
import { SendRatePacer } from '../delivery/send-rate-pacer';
import { NotifierErrorCode, NotifierException } from '../errors/notifier.exception';

export interface SesMessage {
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
}

interface AwsLikeError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const THROTTLING = new Set(['TooManyRequestsException', 'Throttling', 'ThrottlingException', 'LimitExceededException']);

export function isSesThrottlingError(err: unknown): boolean {
  const e = err as AwsLikeError | undefined;
  return (
    !!e && (THROTTLING.has(e.name ?? '') || e.$retryable?.throttling === true || e.$metadata?.httpStatusCode === 429)
  );
}

/**
 * The only door to SES. Owns the single SDK client (explicit timeouts and socket limit, endpoint override for
 * the local emulator), and keeps retrying a throttled send with exponential backoff after the SDK's own
 * retries, so a large account slows down instead of losing mail. Any other error is final for that message.
 * Every HTTP attempt, retries included, waits for its turn at NOTIFIER_SES_MAX_PER_SECOND, so retrying never
 * pushes the send rate above the SES quota.
 */
@Injectable()
export class SesClientProvider implements OnModuleDestroy {
  private readonly logger = new Logger(SesClientProvider.name);
  private readonly pacer: SendRatePacer;
  private client?: SESv2Client;
  private throttleCount = 0;

  constructor(@Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>) {
    this.pacer = new SendRatePacer(config.ses.maxPerSecond);
  }

  /** How many throttled answers this provider has waited out (for the run summary and tests). */
  get throttles(): number {
    return this.throttleCount;
  }

  async sendEmail(message: SesMessage): Promise<{ messageId: string }> {
    const { throttleRetries, retryBaseMs } = this.config.ses;
    const command = new SendEmailCommand({
      FromEmailAddress: message.from,
      Destination: { ToAddresses: message.to },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
        },
      },
    });
    for (let retry = 0; ; retry++) {
      try {
        const out = await this.getClient().send(command);
        return { messageId: out.MessageId ?? '' };
      } catch (err) {
        const name = (err as AwsLikeError).name ?? 'Error';
        if (isSesThrottlingError(err)) {
          this.throttleCount++;
          if (retry < throttleRetries) {
            const waitMs = Math.min(30_000, retryBaseMs * 2 ** retry) * (0.5 + Math.random() / 2);
            this.logger.debug(
              `SES throttled SendEmail (${name}); retry ${retry + 1}/${throttleRetries} in ${Math.round(waitMs)} ms`,
            );
            await sleep(waitMs);
            continue;
          }
          throw new NotifierException(NotifierErrorCode.SendThrottled, `SES kept throttling SendEmail (${name})`, {
            awsErrorName: name,
            cause: err,
          });
        }
        if (name === 'TimeoutError') {
          throw new NotifierException(
            NotifierErrorCode.SendFailed,
            `SES did not answer SendEmail within NOTIFIER_SES_REQUEST_TIMEOUT_MS (${this.config.ses.requestTimeoutMs} ms)`,
            { awsErrorName: name, cause: err },
          );
        }
        const status = (err as AwsLikeError).$metadata?.httpStatusCode;
        const code =
          status !== undefined && status >= 400 && status < 500
            ? NotifierErrorCode.SendRejected
            : NotifierErrorCode.SendFailed;
        throw new NotifierException(code, `SES refused SendEmail (${name}${status ? `, HTTP ${status}` : ''})`, {
          awsErrorName: name,
          cause: err,
        });
      }
    }
  }

  onModuleDestroy(): void {
    this.client?.destroy();
    this.client = undefined;
  }

  private getClient(): SESv2Client {
    this.client ??= this.createClient();
    return this.client;
  }

  private createClient(): SESv2Client {
    const { ses } = this.config;
    const options: SESv2ClientConfig = {
      region: ses.region,
      maxAttempts: ses.maxAttempts,
      retryMode: 'standard',
      requestHandler: awsHttpHandler({ ...ses, maxSockets: ses.concurrency }),
    };
    if (ses.endpoint) {
      options.endpoint = ses.endpoint;
    }
    const client = new SESv2Client(options);
    // Innermost, inside the SDK's retry loop: each attempt takes a turn just before it goes out.
    client.middlewareStack.add(
      (next) => async (args) => {
        await this.pacer.acquire();
        return next(args);
      },
      { step: 'deserialize', name: 'notifierSendPace', priority: 'low' },
    );
    this.logger.log(
      ses.endpoint ? `SES client created for endpoint ${redactUserinfo(ses.endpoint)}` : 'SES client created',
    );
    return client;
  }
}
