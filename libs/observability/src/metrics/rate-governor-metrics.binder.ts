import { Injectable, OnModuleInit } from '@nestjs/common';
import { IamClientRegistry, type RateGovernorSnapshot } from '@app/iam';
import { MetricsService } from './metrics.service';

/** Lets /metrics read each account's IAM pace; its own provider because the IAM clients already depend on MetricsService. */
@Injectable()
export class RateGovernorMetricsBinder implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly registry: IamClientRegistry,
  ) {}

  onModuleInit(): void {
    this.metrics.watchRateGovernors(
      () =>
        new Map<string, RateGovernorSnapshot>(
          this.registry.all().map((c) => [c.accountLabel, c.rateGovernor.snapshot()]),
        ),
    );
  }
}
