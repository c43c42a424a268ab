import { Injectable, OnModuleInit } from '@nestjs/common';
import { IamClientProvider } from '@app/iam';
import { MetricsService } from './metrics.service';

/** Lets /metrics read the IAM pace; a provider of its own because the IAM client already depends on MetricsService. */
@Injectable()
export class RateGovernorMetricsBinder implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly iam: IamClientProvider,
  ) {}

  onModuleInit(): void {
    this.metrics.watchRateGovernor(() => this.iam.rateGovernor.snapshot());
  }
}
