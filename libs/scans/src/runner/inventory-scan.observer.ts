import type { ScanSource } from '@app/iam';
import type { ScanStatus, ScanTrigger } from '@app/store';

export const INVENTORY_SCAN_OBSERVER = Symbol('INVENTORY_SCAN_OBSERVER');

export interface InventoryScanReport {
  status: ScanStatus;
  trigger: ScanTrigger;
  source: ScanSource;
  /** The accounts this scan recorded, with when their data was read. */
  recorded: ReadonlyArray<{ accountId: string; dataReadAt: Date }>;
}

/** Told when a scan kept in the store ends (e.g. scans by status, and each account's inventory age). */
export interface InventoryScanObserver {
  inventoryScanFinished(report: InventoryScanReport): void;
}
