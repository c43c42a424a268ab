import { Module } from '@nestjs/common';
import { IamModule } from '@app/iam';
import { FindingsModule } from '../findings.module';
import { InventoryService } from './inventory.service';

/** The inventory across accounts: the scan (IamModule) judged by the findings policy and exemptions. */
@Module({
  imports: [FindingsModule, IamModule],
  providers: [InventoryService],
  exports: [InventoryService, FindingsModule],
})
export class InventoryModule {}
