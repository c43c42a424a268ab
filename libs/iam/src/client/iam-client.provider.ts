import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { StsClientProvider } from '@app/accounts';
import { iamConfig } from '../config/iam.config';
import { IAM_RATE_GOVERNOR } from '../iam.constants';
import type { AdaptiveRateGovernor } from '../scan/adaptive-rate.governor';
import { IamAccountClient } from './iam-account.client';
import { IAM_CALL_OBSERVER, type IamCallObserver } from './iam-call-observer';

/**
 * The own account's IAM client: the service's own credentials (the SDK's default chain). The registry hands
 * it out for the account marked `self`, so the own account's pace is learnt once whoever asks; readiness
 * pings it. Every other account gets an IamAccountClient of its own from IamClientRegistry.
 */
@Injectable()
export class IamClientProvider extends IamAccountClient implements OnModuleDestroy {
  constructor(
    @Inject(iamConfig.KEY) config: ConfigType<typeof iamConfig>,
    @Optional() @Inject(IAM_CALL_OBSERVER) observer?: IamCallObserver,
    @Optional() @Inject(IAM_RATE_GOVERNOR) governor?: AdaptiveRateGovernor,
    @Optional() sts?: StsClientProvider,
  ) {
    super(config, {
      observer,
      governor,
      lookupAccountId: sts ? async () => (await sts.callerIdentity()).accountId : undefined,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.destroy();
  }
}
