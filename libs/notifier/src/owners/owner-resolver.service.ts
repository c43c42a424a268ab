import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { isEmail } from 'class-validator';
import { accountsConfig } from '@app/accounts';
import { ConcurrencyLimiter, iamConfig, type AccountRef } from '@app/iam';
import { notifierConfig } from '../config/notifier.config';
import { OWNER_TAG_READER } from '../notifier.constants';
import { ownerKey, type OwnerResolution } from '../notifier.types';

/** Reads an IAM user's tags in the user's own account (each account has its own client and IAM budget). */
export interface OwnerTagReader {
  listUserTags(account: AccountRef, userName: string): Promise<Record<string, string>>;
}

export type AccountUser = AccountRef & { userName: string };

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

/**
 * Reads each user's owner tag in the user's own account: at most IAM_CONCURRENCY users at a time in one
 * account (its own IAM rate limit) and at most ACCOUNT_CONCURRENCY accounts at once.
 */
@Injectable()
export class OwnerResolverService {
  private readonly logger = new Logger(OwnerResolverService.name);

  constructor(
    @Inject(OWNER_TAG_READER) private readonly tags: OwnerTagReader,
    @Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>,
    @Inject(iamConfig.KEY) private readonly iamSettings: ConfigType<typeof iamConfig>,
    @Inject(accountsConfig.KEY) private readonly accountSettings: ConfigType<typeof accountsConfig>,
  ) {}

  /**
   * Keyed by `ownerKey(user)`. `tagsRead`, when given, receives every tag set read (same keys), so the job finds the
   * users' exemption tags without a second ListUserTags.
   */
  async resolve(
    users: Iterable<AccountUser>,
    tagsRead?: Map<string, Record<string, string>>,
  ): Promise<Map<string, OwnerResolution>> {
    const byAccount = new Map<string, { account: AccountRef; userNames: Set<string> }>();
    for (const { accountId, accountName, userName } of users) {
      const account = accountName === undefined ? { accountId } : { accountId, accountName };
      const entry = byAccount.get(accountId) ?? { account, userNames: new Set<string>() };
      entry.userNames.add(userName);
      byAccount.set(accountId, entry);
    }
    const accounts = new ConcurrencyLimiter(this.accountSettings.concurrency);
    const resolved = await Promise.all(
      [...byAccount.values()].map(({ account, userNames }) =>
        accounts.run(() => this.resolveInAccount(account, [...userNames], tagsRead)),
      ),
    );
    return new Map(resolved.flat());
  }

  private async resolveInAccount(
    account: AccountRef,
    userNames: string[],
    tagsRead: Map<string, Record<string, string>> | undefined,
  ): Promise<Array<[string, OwnerResolution]>> {
    const limiter = new ConcurrencyLimiter(this.iamSettings.concurrency);
    return Promise.all(
      userNames.map((userName) =>
        limiter.run(async (): Promise<[string, OwnerResolution]> => [
          ownerKey({ accountId: account.accountId, userName }),
          await this.resolveOne(account, userName, tagsRead),
        ]),
      ),
    );
  }

  private async resolveOne(
    account: AccountRef,
    userName: string,
    tagsRead: Map<string, Record<string, string>> | undefined,
  ): Promise<OwnerResolution> {
    try {
      const tags = await this.tags.listUserTags(account, userName);
      tagsRead?.set(ownerKey({ accountId: account.accountId, userName }), tags);
      const resolution = resolveOwnerTag(tags, this.config.ownerTagKey);
      if (resolution.kind === 'fallback' && resolution.reason === 'invalid-address') {
        this.logger.warn({
          msg: 'The owner tag holds no valid email address',
          event: 'notifier.invalid-owner',
          accountId: account.accountId,
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
        accountId: account.accountId,
        userName,
        error,
      });
      return { kind: 'fallback', reason: 'lookup-failed', error };
    }
  }
}
