import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { IamAccountClient } from '../client/iam-account.client';
import { IamClientProvider } from '../client/iam-client.provider';
import { iamConfig } from '../config/iam.config';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import { IAM_CLOCK, type Clock } from '../iam.constants';
import type { IamAccessKey, ScanQuery, ScanResult } from '../iam.types';
import { IamCallMeter, meterStorage } from '../scan/iam-call-meter';
import { compareOldKeys, cutoffFor, isOldKey, toOldAccessKey } from '../scan/old-keys';
import { RequestSlots } from '../scan/request-slots';
import type { ScanStrategy } from './scan-strategy.interface';

/**
 * Live scan: ListUsers page by page, and ListAccessKeys for each user old enough to own an old key,
 * started as soon as its page arrives and bounded by the limiter.
 */
@Injectable()
export class ListUsersStrategy implements ScanStrategy {
  readonly source = 'list-users' as const;

  constructor(
    private readonly iam: IamClientProvider,
    @Inject(iamConfig.KEY) private readonly config: ConfigType<typeof iamConfig>,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
  ) {}

  /** Scans the account of `iam`: the own account by default. */
  scan(query: ScanQuery, iam: IamAccountClient = this.iam): Promise<ScanResult> {
    const meter = new IamCallMeter();
    return meterStorage.run(meter, () => this.run(query, meter, iam));
  }

  private async run(query: ScanQuery, meter: IamCallMeter, iam: IamAccountClient): Promise<ScanResult> {
    const started = performance.now();
    const now = this.clock.now();
    const cutoff = cutoffFor(now, query.hours);
    const slots = new RequestSlots(this.config.concurrency);
    const pending: Promise<IamAccessKey[]>[] = [];
    let failure: unknown;
    let usersSeen = 0;
    let usersSkippedYoung = 0;
    let usersVanished = 0;
    const fail = (err: unknown) => {
      failure ??= err;
      slots.stop();
    };

    let marker: string | undefined;
    do {
      let page;
      try {
        page = await iam.listUsersPage(marker);
      } catch (err) {
        // Stops the queued ListAccessKeys calls from spending IAM quota for nothing.
        failure ??= err;
        slots.stop();
        throw err;
      }
      for (const user of page.users) {
        usersSeen++;
        // A key cannot predate its user, so a user younger than the threshold owns no old key.
        if (user.createDate.getTime() > cutoff) {
          usersSkippedYoung++;
          continue;
        }
        const task = slots.run(async () => {
          if (failure) {
            return [];
          }
          try {
            const keys = await iam.listAccessKeys(user.userName, slots);
            return query.lastUse ? await this.withLastUse(iam, keys, query, cutoff, slots, fail) : keys;
          } catch (err) {
            if (err instanceof IamException && err.code === IamErrorCode.NoSuchEntity) {
              usersVanished++;
              return [];
            }
            failure ??= err;
            slots.stop();
            throw err;
          }
        });
        // Handled here so a failure while we still page is not an unhandled rejection; Promise.all rethrows it.
        task.catch(() => undefined);
        pending.push(task);
      }
      marker = page.nextMarker;
    } while (marker && !failure);

    const perUser = await Promise.all(pending);
    const keys = perUser
      .flat()
      .filter((k) => isOldKey(k, query, cutoff))
      .map((k) => toOldAccessKey(k, now))
      .sort(compareOldKeys);

    return {
      source: this.source,
      keys,
      rootKeys: [],
      dataReadAt: now,
      stats: {
        usersSeen,
        usersSkippedYoung,
        usersVanished,
        callsByAction: { ...meter.callsByAction },
        throttles: meter.throttles,
        retries: meter.retries,
        peakInFlight: slots.peakInFlight,
        durationMs: Math.round(performance.now() - started),
      },
    };
  }

  /**
   * GetAccessKeyLastUsed for each key the answer keeps, inside the user's task (a nested slots.run could wait
   * on its own parent), each HTTP attempt through the scan's request slots and the account's governor like every
   * other per-user call. A key deleted in between is left out.
   */
  private async withLastUse(
    iam: IamAccountClient,
    keys: IamAccessKey[],
    query: ScanQuery,
    cutoff: number,
    slots: RequestSlots,
    fail: (err: unknown) => void,
  ): Promise<IamAccessKey[]> {
    const wanted = keys.filter((k) => isOldKey(k, query, cutoff));
    const found = await Promise.all(
      wanted.map(async (key): Promise<IamAccessKey | undefined> => {
        try {
          return { ...key, lastUse: await iam.getAccessKeyLastUsed(key.accessKeyId, slots) };
        } catch (err) {
          if (err instanceof IamException && err.code === IamErrorCode.NoSuchEntity) {
            return undefined;
          }
          fail(err);
          throw err;
        }
      }),
    );
    return found.filter((k): k is IamAccessKey => k !== undefined);
  }
}
