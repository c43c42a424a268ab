import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { isEmail } from 'class-validator';
import { ConcurrencyLimiter, iamConfig, IamClientProvider } from '@app/iam';
import { notifierConfig } from '../config/notifier.config';
import type { OwnerResolution } from '../notifier.types';

/** Decides from one tag value who owns an IAM user; anything but one plain valid address goes to the fallback. */
export function resolveOwnerTag(tags: Record<string, string>, tagKey: string): OwnerResolution {
  const found =
    Object.entries(tags).find(([k]) => k === tagKey) ??
    Object.entries(tags).find(([k]) => k.toLowerCase() === tagKey.toLowerCase());
  const value = found?.[1].trim();
  if (found === undefined || value === undefined || value === '') {
    return { kind: 'fallback', reason: 'missing-tag' };
  }
  if (!isEmail(value, { allow_display_name: false, allow_ip_domain: false, require_tld: true })) {
    return { kind: 'fallback', reason: 'invalid-address', value };
  }
  return { kind: 'owner', address: value.toLowerCase() };
}

/** Reads each user's owner tag through the IAM wrapper, a bounded number of users at a time. */
@Injectable()
export class OwnerResolverService {
  private readonly logger = new Logger(OwnerResolverService.name);

  constructor(
    private readonly iam: IamClientProvider,
    @Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>,
    @Inject(iamConfig.KEY) private readonly iamSettings: ConfigType<typeof iamConfig>,
  ) {}

  async resolve(userNames: Iterable<string>): Promise<Map<string, OwnerResolution>> {
    const limiter = new ConcurrencyLimiter(this.iamSettings.concurrency);
    const unique = [...new Set(userNames)];
    const resolutions = await Promise.all(
      unique.map((userName) =>
        limiter.run(async (): Promise<OwnerResolution> => {
          try {
            const resolution = resolveOwnerTag(await this.iam.listUserTags(userName), this.config.ownerTagKey);
            if (resolution.kind === 'fallback' && resolution.reason === 'invalid-address') {
              this.logger.warn({
                msg: 'The owner tag holds no valid email address',
                event: 'notifier.invalid-owner',
                userName,
                tagKey: this.config.ownerTagKey,
                value: resolution.value,
              });
            }
            return resolution;
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            this.logger.warn({
              msg: 'The owner tag could not be read',
              event: 'notifier.owner-lookup-failed',
              userName,
              error,
            });
            return { kind: 'fallback', reason: 'lookup-failed', error };
          }
        }),
      ),
    );
    return new Map(unique.map((userName, i) => [userName, resolutions[i]]));
  }
}
