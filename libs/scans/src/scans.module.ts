import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { InventoryModule } from '@app/findings';
import { IamModule } from '@app/iam';
import { StoreModule } from '@app/store';
import { scansConfig } from './config/scans.config';
import { StoredInventoryService } from './inventory/stored-inventory.service';
import { InventoryScanRunner } from './runner/inventory-scan.runner';
import { ScanSchedulerService } from './scheduler/scan-scheduler.service';

const scansConfigModule = ConfigModule.forFeature(scansConfig);

/** Scans kept in the store: the runner, the scheduler, and the inventory answered from what they recorded. */
@Module({
  imports: [scansConfigModule, IamModule, InventoryModule, StoreModule],
  providers: [InventoryScanRunner, StoredInventoryService, ScanSchedulerService],
  exports: [scansConfigModule, InventoryScanRunner, StoredInventoryService, ScanSchedulerService, StoreModule],
})
export class ScansModule {}

/** The runner alone, for a process that scans once and exits (the scan Job): no scheduler. */
@Module({
  imports: [scansConfigModule, IamModule, InventoryModule, StoreModule],
  providers: [InventoryScanRunner],
  exports: [InventoryScanRunner, StoreModule],
})
export class ScanRunnerModule {}
