import type { AccountOutcome, ScanSource } from '@app/iam';
import type { Exemption } from '../exemptions/exemption.types';
import type { FindingCode, FindingThresholds, KeyFacts, KeyStatus } from '../findings.types';

export interface InventoryQuery {
  source: ScanSource;
  /** Only these configured accounts (all by default). */
  accountIds?: readonly string[];
  /** Only keys holding at least one of these findings. */
  findings?: readonly FindingCode[];
  status?: KeyStatus;
  /** Exempted keys are left out (and counted) unless asked for. */
  includeExempted: boolean;
  /** This request's thresholds; the configured ones for what it leaves out. */
  thresholds?: Partial<FindingThresholds>;
}

export interface InventoryKey extends KeyFacts {
  accountName?: string;
  ageHours: number;
  findings: FindingCode[];
  /** The exemption reported with the key (covering all its findings, else some of them); null when none applies. */
  exemption: Exemption | null;
  /** Every finding of the key is covered by an exemption in force. */
  exempted: boolean;
}

export interface InventoryRootKey extends KeyFacts {
  accountName?: string;
  slot: 1 | 2;
  ageHours: number;
  findings: FindingCode[];
}

export interface InventoryResult {
  source: ScanSource;
  /** Oldest first, after the query's filters. */
  keys: InventoryKey[];
  /** Every root key, whatever the filters. */
  rootKeys: InventoryRootKey[];
  /** Keys the filters kept but that were left out as exempted (0 with include_exempted). */
  exemptedCount: number;
  accounts: AccountOutcome[];
  complete: boolean;
  dataReadAt?: Date;
  thresholds: FindingThresholds;
}

export const INVENTORY_OBSERVER = Symbol('INVENTORY_OBSERVER');

/** Per account and code: how many keys hold it (exempted ones included). */
export type FindingCounts = ReadonlyMap<string, Readonly<Record<FindingCode, number>>>;

export interface ExemptionCounts {
  /** Declared (file) exemptions in force now, plus tag exemptions found on users with findings. */
  active: number;
  expiringWithin14Days: number;
  /** Declared exemptions past their expiry. */
  expired: number;
  /** In force but matched no finding of any key the scan saw; only known after a scan of every account. */
  unmatched?: number;
}

/** Told after each inventory under the configured thresholds, e.g. for the findings and exemptions gauges. */
export interface InventoryObserver {
  inventoryFinished(findings: FindingCounts, exemptions: ExemptionCounts): void;
}
