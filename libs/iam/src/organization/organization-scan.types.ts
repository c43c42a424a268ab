import type { AccountPlan } from '@app/accounts';
import type { OldAccessKey, RootAccessKey, ScanQuery, ScanSource, ScanStats } from '../iam.types';

/** Which account a finding belongs to: every key of an answer carries it, in `self` mode too. */
export interface AccountRef {
  accountId: string;
  /** Known when Organizations lists the account. */
  accountName?: string;
}

export type AccountAccessKey = OldAccessKey & AccountRef;
export type AccountRootKey = RootAccessKey & AccountRef;

/** One account's part of a scan: done, failed (said exactly as an error body would), or not scanned and why. */
export type AccountOutcome =
  | (AccountRef & {
      status: 'ok';
      dataReadAt: Date;
      reportGeneratedAt?: Date;
      keyCount: number;
      stats: ScanStats;
    })
  | (AccountRef & {
      status: 'failed';
      code: string;
      action?: string;
      message: string;
      retryAfterSeconds?: number;
      /** The AWS error name, for the logs (never shown to clients beyond code and message). */
      awsErrorName?: string;
    })
  | (AccountRef & { status: 'skipped'; reason: string });

/** One account's part of a scan, as soon as it is done (or failed). */
export interface AccountScanPart {
  outcome: AccountOutcome;
  keys: AccountAccessKey[];
  rootKeys: AccountRootKey[];
}

export interface OrganizationScanOptions {
  /** Narrow the scan to these configured accounts; an id outside them is refused (400 naming it). */
  accountIds?: readonly string[];
  /** The accounts to scan, already resolved (e.g. one shard of them); the directory is not read again. */
  plan?: AccountPlan;
  /**
   * Called once per scanned account as soon as its part is done, inside the account's concurrency slot, so a
   * slow consumer (a store write) holds back the next account instead of piling parts up in memory.
   */
  onAccount?: (part: AccountScanPart) => Promise<void>;
  /**
   * Each account's own scan time as an earlier process recorded it (the store): orders the accounts this process
   * has not read yet, longest first.
   */
  recordedDurationsMs?: ReadonlyMap<string, number>;
}

/**
 * The answer across accounts. Never silently partial: `complete` is false as soon as one account failed, and
 * every configured account is in `accounts` (ok, failed or skipped), sorted by id.
 */
export interface OrganizationScanResult {
  source: ScanSource;
  query: ScanQuery;
  /** Sorted oldest first, ties by account id, user name, then key id. */
  keys: AccountAccessKey[];
  rootKeys: AccountRootKey[];
  accounts: AccountOutcome[];
  complete: boolean;
  /** The oldest `dataReadAt` of the accounts that answered (undefined when none did). */
  dataReadAt?: Date;
}
