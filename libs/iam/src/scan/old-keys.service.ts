import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { IamAccountClient } from '../client/iam-account.client';
import { IamClientProvider } from '../client/iam-client.provider';
import { iamConfig } from '../config/iam.config';
import { HOUR_MS, IAM_CLOCK, type Clock } from '../iam.constants';
import type { ScanQuery, ScanResult, ScanSource } from '../iam.types';
import { CredentialReportStrategy } from '../strategies/credential-report.strategy';
import { ListUsersStrategy } from '../strategies/list-users.strategy';
import type { ScanStrategy } from '../strategies/scan-strategy.interface';
import { AnswerFreshness, answerFreshnessStorage } from './answer-freshness';
import { ageHours, ageHoursChangeAt, cutoffFor } from './old-keys';
import { ScanDeadline, scanDeadlineStorage } from './scan-deadline';

export const SCAN_OBSERVER = Symbol('SCAN_OBSERVER');

/** Told when a scan really runs (not when a request is served from a shared one), e.g. for metrics. */
export interface ScanObserver {
  /** `accountId` is the account scanned ('self' for the own account before its id is known). */
  scanStarted(source: ScanSource, accountId?: string): void;
  scanFinished(
    source: ScanSource,
    outcome: 'ok' | 'error',
    durationMs: number,
    result?: ScanResult,
    accountId?: string,
  ): void;
}

interface Entry {
  promise: Promise<ScanResult>;
  settledAt?: number;
}

/** A strategy's run, from its start until it really returns (which a deadline that failed to stop it outlives). */
export interface RunningScan {
  source: ScanSource;
  accountId: string;
  startedAt: number;
}

/** What a full inventory scan asks for: every key, whatever its age or status. */
const INVENTORY: ScanQuery = { hours: 0, includeInactive: true };

/**
 * Chooses the strategy and protects each account's IAM rate limit: requests share a running scan of the
 * same account, and a finished one serves later requests for the cache TTL. Everything is kept per account
 * (per client), so a request about one account never rescans another. With a TTL, the shared scan is a full inventory that any
 * threshold can be cut from, so a dashboard asking for several thresholds costs one scan, not one each.
 * Without a TTL, each request scans exactly its threshold (skipping young users) and only identical
 * in-flight requests share.
 *
 * Every scan runs under SCAN_MAX_DURATION_MS: when it runs out, the scan's IAM requests are aborted and all
 * of its waiters get 504 IAM_TIMEOUT at once; the failed scan is dropped, so the next request starts afresh.
 */
@Injectable()
export class OldKeysService {
  private readonly logger = new Logger(OldKeysService.name);
  /** Per account client (made once per account by the registry). */
  private readonly entriesByAccount = new WeakMap<IamAccountClient, Map<string, Entry>>();
  private readonly running = new Set<RunningScan>();

  constructor(
    private readonly listUsers: ListUsersStrategy,
    private readonly credentialReport: CredentialReportStrategy,
    private readonly own: IamClientProvider,
    @Inject(iamConfig.KEY) private readonly config: ConfigType<typeof iamConfig>,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
    @Optional() @Inject(SCAN_OBSERVER) private readonly observer?: ScanObserver,
  ) {}

  strategyFor(source: ScanSource): ScanStrategy {
    switch (source) {
      case 'list-users':
        return this.listUsers;
      case 'credential-report':
        return this.credentialReport;
      default: {
        const _exhaustive: never = source;
        throw new Error(`Unknown scan source ${String(_exhaustive)}`);
      }
    }
  }

  /** Scans the account `iam` reads: the own account by default. */
  async scan(source: ScanSource, query: ScanQuery, iam: IamAccountClient = this.own): Promise<ScanResult> {
    const ttl = this.config.scanCacheTtlMs;
    // Last use is asked only by the inventory route: a scan with it never serves one without, and vice versa.
    const scanQuery = ttl > 0 ? (query.lastUse ? { ...INVENTORY, lastUse: true } : INVENTORY) : query;
    const key = `${source}|${scanQuery.hours}|${scanQuery.includeInactive}|${scanQuery.lastUse === true}`;
    const nowMs = this.clock.now().getTime();
    let entries = this.entriesByAccount.get(iam);
    if (!entries) {
      entries = new Map();
      this.entriesByAccount.set(iam, entries);
    }
    const shared = entries;

    let entry = shared.get(key);
    if (!entry || (entry.settledAt !== undefined && nowMs - entry.settledAt >= ttl)) {
      const fresh: Entry = { promise: this.run(source, scanQuery, iam) };
      shared.set(key, fresh);
      fresh.promise.then(
        () => {
          fresh.settledAt = this.clock.now().getTime();
          if (ttl === 0) {
            shared.delete(key);
          }
        },
        () => shared.delete(key), // failures are never served to later requests
      );
      entry = fresh;
    }
    const freshness = answerFreshnessStorage.getStore();
    let result: ScanResult;
    try {
      result = await entry.promise;
    } catch (err) {
      freshness?.bound(nowMs); // failures are never shared, so an answer naming one is never reused either
      throw err;
    }
    if (ttl === 0) {
      freshness?.bound(nowMs);
      return result;
    }
    // settledAt is set by the first callback on the promise, which has run by now.
    freshness?.bound((entry.settledAt ?? nowMs) + ttl);
    return this.narrow(result, query, freshness);
  }

  /**
   * Runs `build` (which cuts an answer from this service's scans, e.g. through OrganizationScanService) and says
   * until when its answer stays exactly the same: see {@link AnswerFreshness}. Without a TTL nothing is shared,
   * so the answer is good for the instant it was made only. An answer that involved no scan at all (every
   * account skipped) is bounded by the TTL, so the account list is read again as often as IAM would be.
   */
  async withFreshness<T>(build: () => Promise<T>): Promise<{ value: T; validUntilMs: number }> {
    const nowMs = this.clock.now().getTime();
    const freshness = new AnswerFreshness(nowMs + this.config.scanCacheTtlMs);
    const value = await answerFreshnessStorage.run(freshness, build);
    return { value, validUntilMs: freshness.validUntilMs };
  }

  /** The scans whose strategy is still at work, oldest first, for liveness (performance.now() start times). */
  runningScans(): readonly RunningScan[] {
    return [...this.running];
  }

  /** Cuts one request's answer out of a shared inventory; ages are counted to now, not to when IAM was read. */
  private narrow(result: ScanResult, query: ScanQuery, freshness?: AnswerFreshness): ScanResult {
    const now = this.clock.now();
    const cutoff = cutoffFor(now, query.hours);
    const keys = result.keys
      .filter((k) => k.createdDate.getTime() <= cutoff && (query.includeInactive || k.status === 'Active'))
      .map((k) => ({ ...k, ageHours: ageHours(now, k.createdDate) }));
    const rootKeys = result.rootKeys
      .filter((k) => k.lastRotated.getTime() <= cutoff && (query.includeInactive || k.active))
      .map((k) => ({ ...k, ageHours: ageHours(now, k.lastRotated) }));
    if (freshness) {
      const wanted = (status: boolean) => query.includeInactive || status;
      for (const k of result.keys) {
        bound(freshness, now, k.createdDate, cutoff, query.hours, wanted(k.status === 'Active'));
      }
      for (const k of result.rootKeys) {
        bound(freshness, now, k.lastRotated, cutoff, query.hours, wanted(k.active));
      }
    }
    return { ...result, keys, rootKeys };
  }

  private async run(source: ScanSource, query: ScanQuery, iam: IamAccountClient): Promise<ScanResult> {
    const started = performance.now();
    const accountId = iam.accountLabel;
    this.observer?.scanStarted(source, accountId);
    const deadline = new ScanDeadline(this.config.scanMaxDurationMs);
    const running: RunningScan = { source, accountId, startedAt: started };
    this.running.add(running);
    const work = scanDeadlineStorage.run(deadline, () => this.strategyFor(source).scan(query, iam));
    work
      .finally(() => {
        this.running.delete(running);
        deadline.dispose();
      })
      .catch(() => undefined); // the race below reports the failure
    try {
      const result = await Promise.race([work, deadline.expired]);
      const { stats } = result;
      this.logger.log(
        {
          scan: {
            strategy: source,
            accountId,
            hours: query.hours,
            includeInactive: query.includeInactive,
            usersSeen: stats.usersSeen,
            usersSkippedYoung: stats.usersSkippedYoung,
            usersVanished: stats.usersVanished,
            keyIdsFromCache: stats.keyIdsFromCache,
            iamCalls: stats.callsByAction,
            retries: stats.retries,
            throttles: stats.throttles,
            peakInFlight: stats.peakInFlight,
            keysFound: result.keys.length,
            rootKeysFound: result.rootKeys.length,
            durationMs: stats.durationMs,
          },
        },
        'scan finished',
      );
      this.observer?.scanFinished(source, 'ok', performance.now() - started, result, accountId);
      return result;
    } catch (err) {
      this.observer?.scanFinished(source, 'error', performance.now() - started, undefined, accountId);
      throw err;
    }
  }
}

/** A kept key changes the answer when its age does; a young one, when it grows old enough to be kept. */
function bound(
  freshness: AnswerFreshness,
  now: Date,
  created: Date,
  cutoff: number,
  hours: number,
  wanted: boolean,
): void {
  if (!wanted) {
    return;
  }
  if (created.getTime() <= cutoff) {
    freshness.bound(ageHoursChangeAt(now, created));
  } else {
    freshness.bound(created.getTime() + hours * HOUR_MS);
  }
}
