export * from './config/scans.config';
export * from './errors/scans.exception';
export * from './inventory/stored-inventory.service';
export * from './runner/inventory-scan.observer';
export * from './runner/inventory-scan.runner';
export * from './scans.module';
export * from './scheduler/scan-scheduler.service';
export * from './shard/account-shard';
