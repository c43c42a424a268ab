import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { IamAccountClient } from '../client/iam-account.client';
import { IamClientProvider } from '../client/iam-client.provider';
import { iamConfig } from '../config/iam.config';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import { IAM_CLOCK, type Clock } from '../iam.constants';
import type { CredentialReport, IamAccessKey, RootAccessKey, ScanQuery, ScanResult } from '../iam.types';
import { parseCredentialReport, type ReportCandidate, type ReportKeySlot } from '../report/credential-report.parser';
import { KeyIdCache, type KeyIdCacheStats } from '../report/key-id.cache';
import { ReportPoll } from '../report/report-poll';
import { REPORT_POLL_SLEEP, timerSleep, type Sleep } from '../report/report.constants';
import { IamCallMeter, meterStorage } from '../scan/iam-call-meter';
import { ageHours, compareOldKeys, cutoffFor, isOldKey, toOldAccessKey } from '../scan/old-keys';
import { RequestSlots } from '../scan/request-slots';
import { scanDeadlineStorage } from '../scan/scan-deadline';
import type { ScanStrategy } from './scan-strategy.interface';

export interface KeyResolution {
  /** Every key the candidate users own now, old or not: the caller applies the threshold to the real dates. */
  keys: IamAccessKey[];
  /** The same keys by candidate, for matching them to their report slots. */
  owned: { candidate: ReportCandidate; keys: IamAccessKey[] }[];
  /** Candidates deleted between the report and the lookup. */
  usersVanished: number;
  /** Candidates answered from the key id cache, without ListAccessKeys. */
  fromCache: number;
}

/**
 * Answers from the IAM credential report: one report (served from AWS's cache when under 4 h old)
 * replaces a ListUsers walk, and ListAccessKeys runs only for the users whose report row shows an old
 * key, because the report carries dates but no key ids. Root account keys, invisible to ListUsers,
 * come out of the same report. Key ids learnt once are reused while the report shows the same slots
 * for that user, so once warm a scan costs the report calls plus one ListAccessKeys per changed user.
 */
@Injectable()
export class CredentialReportStrategy implements ScanStrategy {
  readonly source = 'credential-report' as const;
  /** Per account (per client, made once per account): user names are only unique within an account. */
  private readonly keyIdCaches = new WeakMap<IamAccountClient, KeyIdCache>();

  constructor(
    private readonly iam: IamClientProvider,
    @Inject(iamConfig.KEY) private readonly config: ConfigType<typeof iamConfig>,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
    @Optional() @Inject(REPORT_POLL_SLEEP) private readonly sleep: Sleep = timerSleep,
  ) {}

  /** How often the warm path saved a ListAccessKeys, for benchmarks and diagnostics. */
  keyIdCacheStats(iam: IamAccountClient = this.iam): KeyIdCacheStats {
    return this.keyIdsOf(iam).stats();
  }

  /** Scans the account of `iam`: the own account by default. */
  scan(query: ScanQuery, iam: IamAccountClient = this.iam): Promise<ScanResult> {
    const meter = new IamCallMeter();
    return meterStorage.run(meter, () => this.run(query, meter, iam));
  }

  private keyIdsOf(iam: IamAccountClient): KeyIdCache {
    let cache = this.keyIdCaches.get(iam);
    if (!cache) {
      cache = new KeyIdCache();
      this.keyIdCaches.set(iam, cache);
    }
    return cache;
  }

  private async run(query: ScanQuery, meter: IamCallMeter, iam: IamAccountClient): Promise<ScanResult> {
    const started = performance.now();
    const now = this.clock.now();
    const cutoff = cutoffFor(now, query.hours);
    const keyIds = this.keyIdsOf(iam);

    const report = await this.fetchReport(iam);
    const sweep = keyIds.beginSweep();
    const parsed = await parseCredentialReport(
      report.content,
      { cutoff, includeInactive: query.includeInactive, lastUse: query.lastUse },
      (userName, fingerprint) => keyIds.seen(sweep, userName, fingerprint),
    );
    keyIds.endSweep(sweep);

    const slots = new RequestSlots(this.config.concurrency);
    const resolved = await this.resolveAccessKeys(iam, keyIds, parsed.candidates, slots);
    const current = query.lastUse ? await this.withLastUse(iam, resolved.owned, slots) : resolved.keys;
    // The report may be hours old: a key rotated since then has a young CreateDate and drops out here.
    const keys = current
      .filter((k) => isOldKey(k, query, cutoff))
      .map((k) => toOldAccessKey(k, now))
      .sort(compareOldKeys);
    const rootKeys: RootAccessKey[] = parsed.rootSlots.map((s) => ({
      slot: s.slot,
      active: s.active,
      lastRotated: s.lastRotated,
      ageHours: ageHours(now, s.lastRotated),
      ...(query.lastUse && s.lastUse && { lastUse: s.lastUse }),
    }));

    return {
      source: this.source,
      keys,
      rootKeys,
      dataReadAt: report.generatedTime,
      reportGeneratedAt: report.generatedTime,
      stats: {
        usersSeen: parsed.usersSeen,
        usersSkippedYoung: parsed.usersYoung,
        usersVanished: resolved.usersVanished,
        keyIdsFromCache: resolved.fromCache,
        callsByAction: { ...meter.callsByAction },
        throttles: meter.throttles,
        retries: meter.retries,
        peakInFlight: slots.peakInFlight,
        durationMs: Math.round(performance.now() - started),
      },
    };
  }

  /**
   * GenerateCredentialReport first (AWS answers COMPLETE at once while its report is under 4 h old),
   * poll while it builds, then read it. A missing or expired report is regenerated once; the second
   * time is an error.
   */
  private async fetchReport(iam: IamAccountClient): Promise<CredentialReport> {
    const poll = new ReportPoll(
      { intervalMs: this.config.reportPollIntervalMs, maxWaitMs: this.config.reportMaxWaitMs },
      this.clock,
      this.sleep,
      scanDeadlineStorage.getStore()?.signal,
    );
    await this.generateReport(iam, poll);
    let regenerated = false;
    for (;;) {
      try {
        return await iam.getCredentialReport();
      } catch (err) {
        const code = err instanceof IamException ? err.code : undefined;
        if (code === IamErrorCode.ReportInProgress) {
          await poll.wait('GetCredentialReport said in progress');
          continue;
        }
        if ((code === IamErrorCode.ReportNotPresent || code === IamErrorCode.ReportExpired) && !regenerated) {
          regenerated = true;
          await this.generateReport(iam, poll);
          continue;
        }
        throw err;
      }
    }
  }

  private async generateReport(iam: IamAccountClient, poll: ReportPoll): Promise<void> {
    for (;;) {
      const state = await iam.generateCredentialReport();
      if (state === 'COMPLETE') {
        return;
      }
      await poll.wait(`GenerateCredentialReport said ${state}`);
    }
  }

  /**
   * Finds the ids of the candidates' keys, which the report lacks: from the cache while the user's
   * report row shows the slots they were learnt under, else from ListAccessKeys (remembered when it
   * agrees with the report). When the cache knows every candidate, the first is looked up anyway, so a
   * denied ListAccessKeys fails a warm scan as it would a cold one. Fails fast like the live scan: after the first error, queued lookups are
   * dropped, and the scan rejects only once the calls in flight have settled, so nothing outlives it.
   */
  private async resolveAccessKeys(
    iam: IamAccountClient,
    keyIds: KeyIdCache,
    candidates: readonly ReportCandidate[],
    slots: RequestSlots,
  ): Promise<KeyResolution> {
    let failure: { error: unknown } | undefined;
    let usersVanished = 0;
    let fromCache = 0;
    const checkFirst = candidates.length > 0 && candidates.every((c) => keyIds.has(c.userName, c.fingerprint));
    const perUser: IamAccessKey[][] = await Promise.all(
      candidates.map((candidate, index) => {
        const cached = checkFirst && index === 0 ? undefined : keyIds.get(candidate.userName, candidate.fingerprint);
        if (cached) {
          fromCache++;
          return Promise.resolve(cached);
        }
        return slots.run(async (): Promise<IamAccessKey[]> => {
          if (failure) {
            return [];
          }
          try {
            const keys = await iam.listAccessKeys(candidate.userName, slots);
            keyIds.remember(candidate.userName, candidate.fingerprint, candidate.keySlots, keys);
            return keys;
          } catch (err) {
            keyIds.forget(candidate.userName);
            if (err instanceof IamException && err.code === IamErrorCode.NoSuchEntity) {
              usersVanished++;
            } else {
              failure ??= { error: err };
              slots.stop();
            }
            return [];
          }
        });
      }),
    );
    if (failure) {
      throw failure.error;
    }
    return {
      keys: perUser.flat(),
      owned: candidates.map((candidate, i) => ({ candidate, keys: perUser[i] })),
      usersVanished,
      fromCache,
    };
  }

  /**
   * Each key's last use from its report slot, matched by creation second as the key-id cache matches them: a key
   * rotated since the report sits in a slot whose date is the old key's, so it never gets the old key's last use
   * and is asked of GetAccessKeyLastUsed instead (rare: only keys created after the report). Keys deleted since
   * then are left out.
   */
  private async withLastUse(
    iam: IamAccountClient,
    owned: KeyResolution['owned'],
    slots: RequestSlots,
  ): Promise<IamAccessKey[]> {
    let failure: { error: unknown } | undefined;
    const perKey = await Promise.all(
      owned.flatMap(({ candidate, keys }) =>
        keys.map((key): Promise<IamAccessKey | undefined> => {
          const slot = reportSlotOf(key, candidate.keySlots);
          if (slot?.lastUse) {
            return Promise.resolve({ ...key, lastUse: slot.lastUse });
          }
          return slots.run(async () => {
            if (failure) {
              return undefined;
            }
            try {
              return { ...key, lastUse: await iam.getAccessKeyLastUsed(key.accessKeyId, slots) };
            } catch (err) {
              if (!(err instanceof IamException && err.code === IamErrorCode.NoSuchEntity)) {
                failure ??= { error: err };
                slots.stop();
              }
              return undefined;
            }
          });
        }),
      ),
    );
    if (failure) {
      throw failure.error;
    }
    return perKey.filter((k): k is IamAccessKey => k !== undefined);
  }
}

/** The report slot holding this very key: same creation second (the report has no sub-second part), same status when two share it. */
function reportSlotOf(key: IamAccessKey, slots: readonly ReportKeySlot[]): ReportKeySlot | undefined {
  const second = Math.floor(key.createDate.getTime() / 1000) * 1000;
  const same = slots.filter((s) => s.lastRotated.getTime() === second);
  if (same.length <= 1) {
    return same[0];
  }
  const active = key.status === 'Active';
  const byStatus = same.filter((s) => s.active === active);
  return byStatus.length === 1 ? byStatus[0] : undefined;
}
