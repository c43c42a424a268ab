export enum ScansErrorCode {
  ScanNotFound = 'SCAN_NOT_FOUND',
  /** No inventory at least as fresh as asked arrived within SCAN_WAIT_SECONDS; a scan is running. */
  InventoryNotFresh = 'INVENTORY_NOT_FRESH',
  /** The store could not be read or written. */
  StoreUnavailable = 'STORE_UNAVAILABLE',
}

export class ScansException extends Error {
  constructor(
    readonly code: ScansErrorCode,
    message: string,
    readonly details: { scanId?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'ScansException';
  }
}
