import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AccountDirectory, AccountsException, accountsConfig, type AccountPlan, type ScanAccount } from '@app/accounts';
import { IamClientRegistry } from '../client/iam-client.registry';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import type { ScanQuery, ScanSource } from '../iam.types';
import { ConcurrencyLimiter } from '../scan/concurrency-limiter';
import { compareOldKeys } from '../scan/old-keys';
import { OldKeysService } from '../scan/old-keys.service';
import type {
  AccountAccessKey,
  AccountOutcome,
  AccountRef,
  AccountRootKey,
  AccountScanPart,
  OrganizationScanOptions,
  OrganizationScanResult,
} from './organization-scan.types';

/** Failed accounts named in the summary line; the answer lists them all. */
const FAILED_IN_LOG = 20;

export const ORGANIZATION_SCAN_OBSERVER = Symbol('ORGANIZATION_SCAN_OBSERVER');

/** Told once per scan across accounts (shared or cached account parts included), e.g. for the accounts gauge. */
export interface OrganizationScanObserver {
  organizationScanFinished(result: OrganizationScanResult, durationMs: number): void;
}

type AccountPart = AccountScanPart;

const byAccount = (a: AccountRef, b: AccountRef) =>
  a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0;

/** Oldest first; ties by account id, then as within one account (user name, key id). */
export function compareAccountKeys(a: AccountAccessKey, b: AccountAccessKey): number {
  return a.createdDate.getTime() - b.createdDate.getTime() || byAccount(a, b) || compareOldKeys(a, b);
}

const compareRootKeys = (a: AccountRootKey, b: AccountRootKey): number =>
  a.lastRotated.getTime() - b.lastRotated.getTime() || byAccount(a, b) || a.slot - b.slot;

/**
 * One answer across every configured account (ACCOUNTS_SOURCE, read again for each scan). Each account is
 * scanned on its own client and pace (IamClientRegistry) through OldKeysService, so sharing, caching and the
 * scan deadline stay per account; at most ACCOUNT_CONCURRENCY accounts are scanned at once in the process.
 * One account failing never stops the others: it is listed as failed, and the answer is marked incomplete.
 */
@Injectable()
export class OrganizationScanService {
  private readonly logger = new Logger(OrganizationScanService.name);
  private readonly limiter: ConcurrencyLimiter;
  /**
   * Each account's own scan time the last time it was read in this process. Accounts take the slots longest first,
   * so a large account listed last does not start when the small ones are done and set the wall time alone.
   */
  private readonly lastDurationMs = new Map<string, number>();

  constructor(
    private readonly directory: AccountDirectory,
    private readonly registry: IamClientRegistry,
    private readonly oldKeys: OldKeysService,
    @Inject(accountsConfig.KEY) config: ConfigType<typeof accountsConfig>,
    @Optional() @Inject(ORGANIZATION_SCAN_OBSERVER) private readonly observer?: OrganizationScanObserver,
  ) {
    this.limiter = new ConcurrencyLimiter(config.concurrency);
  }

  /** Accounts being scanned at once now, and the most there ever were (for tests and benchmarks). */
  get accountsInFlight(): { now: number; peak: number } {
    return { now: this.limiter.inFlight, peak: this.limiter.peakInFlight };
  }

  /**
   * Throws AccountsException when the account list itself cannot be read (never an empty answer), and
   * IamException ACCOUNT_NOT_CONFIGURED when `accountIds` names an account that is not configured.
   */
  async scan(
    source: ScanSource,
    query: ScanQuery,
    options: OrganizationScanOptions = {},
  ): Promise<OrganizationScanResult> {
    const started = performance.now();
    const plan = narrow(options.plan ?? (await this.directory.resolve()), options.accountIds);
    const parts = await Promise.all(
      this.longestFirst(plan.accounts, options.recordedDurationsMs).map((account) =>
        this.limiter.run(async () => {
          const part = await this.scanAccount(source, query, account);
          try {
            await options.onAccount?.(part);
          } catch (err) {
            return { outcome: this.failure(ref(account), err), keys: [], rootKeys: [] };
          }
          return part;
        }),
      ),
    );
    const skipped: AccountOutcome[] = plan.skipped.map((s) => ({ ...ref(s), status: 'skipped', reason: s.reason }));
    const keys: AccountAccessKey[] = [];
    const rootKeys: AccountRootKey[] = [];
    for (const part of parts) {
      keys.push(...part.keys);
      rootKeys.push(...part.rootKeys);
    }
    const accounts = [...parts.map((p) => p.outcome), ...skipped].sort(byAccount);
    const readAt = accounts.flatMap((a) => (a.status === 'ok' ? [a.dataReadAt.getTime()] : []));
    const result: OrganizationScanResult = {
      source,
      query,
      keys: keys.sort(compareAccountKeys),
      rootKeys: rootKeys.sort(compareRootKeys),
      accounts,
      complete: accounts.every((a) => a.status !== 'failed'),
      ...(readAt.length > 0 ? { dataReadAt: new Date(Math.min(...readAt)) } : {}),
    };
    const durationMs = Math.round(performance.now() - started);
    const count = (status: AccountOutcome['status']) => accounts.filter((a) => a.status === status).length;
    const failed = accounts.flatMap((a) => (a.status === 'failed' ? [{ accountId: a.accountId, code: a.code }] : []));
    const summary = {
      scan: {
        strategy: source,
        hours: query.hours,
        includeInactive: query.includeInactive,
        accounts: accounts.length,
        accountsOk: count('ok'),
        accountsFailed: failed.length,
        accountsSkipped: count('skipped'),
        // Each account's own line says what it cost; this one says which failed (the first few, by id).
        ...(failed.length > 0 ? { failed: failed.slice(0, FAILED_IN_LOG) } : {}),
        keysFound: result.keys.length,
        rootKeysFound: result.rootKeys.length,
        durationMs,
      },
    };
    if (failed.length > 0) {
      this.logger.warn(summary, 'accounts scan finished');
    } else {
      this.logger.log(summary, 'accounts scan finished');
    }
    this.observer?.organizationScanFinished(result, durationMs);
    return result;
  }

  /**
   * Slowest last time first (this process's time, else the recorded one); an account with neither goes before them
   * all (it may be the largest), in list order.
   */
  private longestFirst(accounts: readonly ScanAccount[], recorded?: ReadonlyMap<string, number>): ScanAccount[] {
    const cost = (a: ScanAccount) =>
      this.lastDurationMs.get(a.accountId) ?? recorded?.get(a.accountId) ?? Number.POSITIVE_INFINITY;
    return [...accounts].sort((a, b) => (cost(a) === cost(b) ? 0 : cost(b) > cost(a) ? 1 : -1));
  }

  private async scanAccount(source: ScanSource, query: ScanQuery, account: ScanAccount): Promise<AccountPart> {
    const owner = ref(account);
    try {
      const iam = await this.registry.forAccount(account);
      const result = await this.oldKeys.scan(source, query, iam);
      this.lastDurationMs.set(account.accountId, result.stats.durationMs);
      // Only what the answer needs is kept; the account's full result lives on in OldKeysService's cache alone.
      return {
        outcome: {
          ...owner,
          status: 'ok',
          dataReadAt: result.dataReadAt,
          ...(result.reportGeneratedAt ? { reportGeneratedAt: result.reportGeneratedAt } : {}),
          keyCount: result.keys.length,
          stats: result.stats,
        },
        keys: result.keys.map((k) => ({ ...k, ...owner })),
        rootKeys: result.rootKeys.map((k) => ({ ...k, ...owner })),
      };
    } catch (err) {
      return { outcome: this.failure(owner, err), keys: [], rootKeys: [] };
    }
  }

  private failure(owner: AccountRef, err: unknown): Extract<AccountOutcome, { status: 'failed' }> {
    if (err instanceof IamException || err instanceof AccountsException) {
      return {
        ...owner,
        status: 'failed',
        code: err.code,
        ...(err.action ? { action: err.action } : {}),
        message: err.message,
        ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
        ...(err.awsErrorName !== undefined ? { awsErrorName: err.awsErrorName } : {}),
      };
    }
    // Not a domain error: the real one goes to the log only, as the exception filter does for a 500.
    this.logger.error({ err, account: owner.accountId }, 'Unexpected error scanning an account');
    return { ...owner, status: 'failed', code: 'INTERNAL_ERROR', message: 'An unexpected error stopped this account' };
  }
}

function ref(account: { accountId: string; accountName?: string }): AccountRef {
  return account.accountName === undefined
    ? { accountId: account.accountId }
    : { accountId: account.accountId, accountName: account.accountName };
}

/** The 400 for ids outside the configured accounts, naming them (`among` says which list: configured, scanned). */
export function accountsNotConfigured(unknown: readonly string[], among = 'configured'): IamException {
  const which = unknown.length === 1 ? `account ${unknown[0]} is` : `accounts ${unknown.join(', ')} are`;
  return new IamException(IamErrorCode.AccountNotConfigured, `${which} not among the ${among} accounts`, {
    accountId: unknown[0],
  });
}

/** Keeps the asked accounts (scanned or skipped); an id outside the configured ones is refused, naming it. */
function narrow(plan: AccountPlan, accountIds: readonly string[] | undefined): AccountPlan {
  if (accountIds === undefined || accountIds.length === 0) {
    return plan;
  }
  const wanted = new Set(accountIds);
  const known = new Set([...plan.accounts, ...plan.skipped].map((a) => a.accountId));
  const unknown = [...wanted].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw accountsNotConfigured(unknown);
  }
  return {
    accounts: plan.accounts.filter((a) => wanted.has(a.accountId)),
    skipped: plan.skipped.filter((a) => wanted.has(a.accountId)),
  };
}
