import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Mutex } from 'async-mutex';
import type { ScanAccount } from '@app/accounts';
import { iamConfig } from '../config/iam.config';
import { AdaptiveRateGovernor, monotonicTimer } from '../scan/adaptive-rate.governor';
import { IamAccountClient } from './iam-account.client';
import { IAM_CALL_OBSERVER, type IamCallObserver } from './iam-call-observer';
import { IamClientProvider } from './iam-client.provider';

/**
 * One IAM client per account, each with its own SDK client, AdaptiveRateGovernor and so its own pace: a
 * throttled account never slows another, and an account's pace is learnt once per process. The own account
 * (`self`) is served by IamClientProvider, the client the rest of the process already uses.
 */
@Injectable()
export class IamClientRegistry implements OnModuleDestroy {
  private readonly logger = new Logger(IamClientRegistry.name);
  private readonly mutex = new Mutex();
  private readonly clients = new Map<string, IamAccountClient>();

  constructor(
    @Inject(iamConfig.KEY) private readonly config: ConfigType<typeof iamConfig>,
    private readonly own: IamClientProvider,
    @Optional() @Inject(IAM_CALL_OBSERVER) private readonly observer?: IamCallObserver,
  ) {}

  /** The own account's client (the service's own credentials). */
  self(): IamAccountClient {
    return this.own;
  }

  /** The account's client, created on first use; concurrent first callers share one. */
  async forAccount(account: ScanAccount): Promise<IamAccountClient> {
    const known = this.clients.get(account.accountId);
    if (known) {
      return known;
    }
    return this.mutex.runExclusive(() => {
      let client = this.clients.get(account.accountId);
      if (!client) {
        if (account.self) {
          this.own.bindAccount(account.accountId, account.accountName);
          client = this.own;
        } else {
          client = new IamAccountClient(this.config, {
            accountId: account.accountId,
            accountName: account.accountName,
            credentials: account.credentials,
            observer: this.observer,
            governor: new AdaptiveRateGovernor({}, monotonicTimer, this.learntPace()),
          });
        }
        this.clients.set(account.accountId, client);
      }
      return client;
    });
  }

  /**
   * The fastest pace an account confirmed after a throttle of its own: IAM's limits are the same per account unless
   * raised, so a new account starts there instead of finding out by throttling. The fastest, not a median: a pace
   * measured low (a small account's short, backoff-filled window) must not slow every account after it, which then
   * crawls through its whole scan; one starting too fast is throttled once and finds its own.
   */
  private learntPace(): number | undefined {
    const learnt = this.all()
      .map((c) => c.rateGovernor.learntRatePerSecond)
      .filter((r): r is number => r !== undefined);
    return learnt.length === 0 ? undefined : Math.max(...learnt);
  }

  /** The client already made for this account, if any. */
  get(accountId: string): IamAccountClient | undefined {
    return this.clients.get(accountId);
  }

  /** Every client made so far (the own one first), e.g. for the pace gauges. */
  all(): IamAccountClient[] {
    const others = [...this.clients.values()].filter((c) => c !== this.own);
    return [this.own, ...others];
  }

  async onModuleDestroy(): Promise<void> {
    await this.mutex.runExclusive(async () => {
      const members = [...this.clients.values()].filter((c) => c !== this.own);
      this.clients.clear();
      await Promise.all(members.map((c) => c.destroy()));
      if (members.length > 0) {
        this.logger.debug(`closed the IAM clients of ${members.length} member accounts`);
      }
    });
  }
}
