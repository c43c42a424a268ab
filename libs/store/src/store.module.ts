import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { InventoryChangeFeed } from './changes/inventory-change.feed';
import { storeConfig } from './config/store.config';
import { openStoreEngine } from './engine/store-engine';
import { loadMigrations } from './migrate/migration-runner';
import { AccountsRepository } from './repositories/accounts.repository';
import { FindingsRepository } from './repositories/findings.repository';
import { InventoryRepository } from './repositories/inventory.repository';
import { LadderRepository } from './repositories/ladder.repository';
import { LeaseRepository } from './repositories/lease.repository';
import { NotificationsRepository } from './repositories/notifications.repository';
import { RemediationRepository } from './repositories/remediation.repository';
import { RetentionRepository } from './repositories/retention.repository';
import { ScansRepository } from './repositories/scans.repository';
import { STORE_ENGINE, STORE_MIGRATIONS } from './store.constants';
import { StoreReadiness } from './store-readiness';

const storeConfigModule = ConfigModule.forFeature(storeConfig);
const repositories = [
  AccountsRepository,
  ScansRepository,
  InventoryRepository,
  FindingsRepository,
  NotificationsRepository,
  RetentionRepository,
  LeaseRepository,
  RemediationRepository,
  LadderRepository,
];

@Module({
  imports: [storeConfigModule],
  providers: [
    {
      provide: STORE_ENGINE,
      inject: [storeConfig.KEY],
      useFactory: (config: ConfigType<typeof storeConfig>) => openStoreEngine(config.connection),
    },
    { provide: STORE_MIGRATIONS, useFactory: () => loadMigrations() },
    StoreReadiness,
    InventoryChangeFeed,
    ...repositories,
  ],
  exports: [storeConfigModule, StoreReadiness, InventoryChangeFeed, ...repositories],
})
export class StoreModule {}
