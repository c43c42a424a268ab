import { Global, Module } from '@nestjs/common';
import { INVENTORY_OBSERVER } from '@app/findings';
import { IAM_CALL_OBSERVER, ORGANIZATION_SCAN_OBSERVER, SCAN_OBSERVER } from '@app/iam';
import { INVENTORY_SCAN_OBSERVER } from '@app/scans/runner/inventory-scan.observer';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsService } from './metrics.service';

/** Global so the IAM lib's optional observer tokens resolve to the app's metrics without importing them. */
@Global()
@Module({
  providers: [
    MetricsService,
    HttpMetricsMiddleware,
    { provide: IAM_CALL_OBSERVER, useExisting: MetricsService },
    { provide: SCAN_OBSERVER, useExisting: MetricsService },
    { provide: ORGANIZATION_SCAN_OBSERVER, useExisting: MetricsService },
    { provide: INVENTORY_OBSERVER, useExisting: MetricsService },
    { provide: INVENTORY_SCAN_OBSERVER, useExisting: MetricsService },
  ],
  exports: [
    MetricsService,
    HttpMetricsMiddleware,
    IAM_CALL_OBSERVER,
    SCAN_OBSERVER,
    ORGANIZATION_SCAN_OBSERVER,
    INVENTORY_OBSERVER,
    INVENTORY_SCAN_OBSERVER,
  ],
})
export class MetricsModule {}
