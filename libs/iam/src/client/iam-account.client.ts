import { setTimeout as sleep } from 'node:timers/promises';
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  type IAMClientConfig,
} from '@aws-sdk/client-iam';
import { Logger } from '@nestjs/common';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { Mutex } from 'async-mutex';
import { awsHttpHandler, redactUserinfo } from '@app/platform';
import type { IamConfig } from '../config/iam.config';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import type {
  AccessKeyStatus,
  CredentialReport,
  CredentialReportState,
  IamAccessKey,
  KeyLastUse,
  UsersPage,
} from '../iam.types';
import { AdaptiveRateGovernor } from '../scan/adaptive-rate.governor';
import { meterStorage } from '../scan/iam-call-meter';
import { lastUseName } from '../scan/last-use';
import { ScanStoppedError, type RequestSlots } from '../scan/request-slots';
import { abortedError, scanDeadlineStorage } from '../scan/scan-deadline';
import { isThrottlingError, mapAwsError } from './aws-error.mapper';
import type { IamCallObserver } from './iam-call-observer';
import { installPacing, slotStorage } from './iam-pacing.middleware';

/** The label of the own account's client until the registry learns its id. */
export const SELF_ACCOUNT_LABEL = 'self';

export interface IamAccountClientOptions {
  /** The account this client reads; the own account's client learns it later (see `bindAccount`). */
  accountId?: string;
  accountName?: string;
  /** Undefined: the SDK's default chain (the own account). Otherwise e.g. an AssumeRole provider. */
  credentials?: AwsCredentialIdentityProvider;
  observer?: IamCallObserver;
  /** This account's pace; a new governor by default, so no two accounts share one. */
  governor?: AdaptiveRateGovernor;
  /** Asked once, when the SDK client is created, for an account id not given (the own account's, from STS). */
  lookupAccountId?: () => Promise<string>;
}

interface SendOptions {
  /** Keep retrying throttled calls until IAM_THROTTLE_MAX_WAIT_MS (not for probes). */
  waitOutThrottling?: boolean;
  slots?: RequestSlots;
  /** Aborts the call (its HTTP attempt in flight included); the scan's deadline, when there is one, does too. */
  signal?: AbortSignal;
}

type Call<O> = (client: IAMClient, options: { abortSignal?: AbortSignal }) => Promise<O>;

/**
 * IAM of one account. Owns that account's SDK client (created lazily under a mutex so concurrent first
 * callers share it) and its AdaptiveRateGovernor, turns SDK shapes into our types and SDK errors into
 * IamException, and keeps retrying throttled calls after the SDK's own retry budget runs dry, so a busy
 * account slows its own scan down instead of failing it, and never another account's.
 *
 * Every HTTP attempt waits for a slot from the account's governor (AIMD on a client-side token bucket,
 * see installPacing), so the process sends as fast as that account's IAM answers and no faster. Chosen
 * over the SDK's `retryMode: 'adaptive'` by measuring both on the emulator (burst 5, 10-20 ms latency,
 * concurrency 5, useful calls per second over the whole list-users scan, as a share of the limit): at
 * 20/s, 300 users 98-100% against 74%, 5,000 users 99.6% against 97.4%; at 100/s, 1,000 users 91% against
 * 38%, 2,000 users 84% against 63%. Adaptive mode ramps up slowly (its steady state is as good), and its
 * retry budget still runs dry under sustained throttling.
 */
export class IamAccountClient {
  private readonly logger = new Logger('IamClientProvider');
  private readonly mutex = new Mutex();
  private client?: IAMClient;
  private readonly governor: AdaptiveRateGovernor;
  private id?: string;
  private name?: string;

  constructor(
    protected readonly config: IamConfig,
    private readonly options: IamAccountClientOptions = {},
  ) {
    this.governor = options.governor ?? new AdaptiveRateGovernor();
    this.id = options.accountId;
    this.name = options.accountName;
  }

  /** The account read, once known ('self' labels the own account's client before the first scan names it). */
  get accountId(): string | undefined {
    return this.id;
  }

  get accountName(): string | undefined {
    return this.name;
  }

  /** For metrics labels and logs. */
  get accountLabel(): string {
    return this.id ?? SELF_ACCOUNT_LABEL;
  }

  /** Names the own account's client once STS has told the service its account (and Organizations its name). */
  bindAccount(accountId: string, accountName?: string): void {
    this.id = accountId;
    this.name = accountName ?? this.name;
  }

  /** The pace shared by every IAM call of this account; its snapshot() tells throttles, cuts and the current rate. */
  get rateGovernor(): AdaptiveRateGovernor {
    return this.governor;
  }

  async listUsersPage(marker?: string, maxItems = 1000): Promise<UsersPage> {
    const out = await this.send('ListUsers', (c, o) =>
      c.send(new ListUsersCommand({ Marker: marker, MaxItems: maxItems }), o),
    );
    const users = (out.Users ?? []).map((u) => ({
      userName: req(u.UserName, 'UserName'),
      createDate: req(u.CreateDate, 'CreateDate'),
    }));
    if (out.IsTruncated && !out.Marker) {
      throw new IamException(IamErrorCode.Upstream, 'IAM said ListUsers was truncated but gave no marker', {
        action: 'ListUsers',
      });
    }
    return { users, nextMarker: out.IsTruncated ? out.Marker : undefined };
  }

  /**
   * One cheap call for readiness: no outer throttle retries, so a probe never waits on a busy account, and
   * `signal` ends it whatever IAM does (the SDK's own attempts and retries could outlast a probe's timeout).
   */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.send('ListUsers', (c, o) => c.send(new ListUsersCommand({ MaxItems: 1 }), o), {
      waitOutThrottling: false,
      signal,
    });
  }

  /**
   * All keys of one user (IAM allows two, but the listing is paginated like any other and we follow it).
   * With `slots`, every HTTP attempt holds one of them while it is at IAM.
   */
  async listAccessKeys(userName: string, slots?: RequestSlots): Promise<IamAccessKey[]> {
    const keys: IamAccessKey[] = [];
    let marker: string | undefined;
    do {
      const out = await this.send(
        'ListAccessKeys',
        (c, o) => c.send(new ListAccessKeysCommand({ UserName: userName, Marker: marker }), o),
        { slots },
      );
      for (const k of out.AccessKeyMetadata ?? []) {
        keys.push({
          userName: k.UserName ?? userName,
          accessKeyId: req(k.AccessKeyId, 'AccessKeyId'),
          status: (k.Status ?? 'Active') as AccessKeyStatus,
          createDate: req(k.CreateDate, 'CreateDate'),
        });
      }
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return keys;
  }

  /** When IAM last saw the key used; IAM says `N/A` for the service and region of a key never used. */
  async getAccessKeyLastUsed(accessKeyId: string, slots?: RequestSlots): Promise<KeyLastUse> {
    const out = await this.send(
      'GetAccessKeyLastUsed',
      (c, o) => c.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }), o),
      { slots },
    );
    const used = out.AccessKeyLastUsed;
    return {
      lastUsedDate: used?.LastUsedDate ?? null,
      lastUsedService: lastUseName(used?.ServiceName),
      lastUsedRegion: lastUseName(used?.Region),
    };
  }

  async listUserTags(userName: string, slots?: RequestSlots): Promise<Record<string, string>> {
    const tags: Record<string, string> = {};
    let marker: string | undefined;
    do {
      const out = await this.send(
        'ListUserTags',
        (c, o) => c.send(new ListUserTagsCommand({ UserName: userName, Marker: marker }), o),
        { slots },
      );
      for (const t of out.Tags ?? []) {
        if (t.Key !== undefined) {
          tags[t.Key] = t.Value ?? '';
        }
      }
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return tags;
  }

  async generateCredentialReport(): Promise<CredentialReportState> {
    const out = await this.send('GenerateCredentialReport', (c, o) =>
      c.send(new GenerateCredentialReportCommand({}), o),
    );
    return out.State ?? 'STARTED';
  }

  /** Throws IamException ReportNotPresent / ReportExpired / ReportInProgress while there is nothing to read. */
  async getCredentialReport(): Promise<CredentialReport> {
    const out = await this.send('GetCredentialReport', (c, o) => c.send(new GetCredentialReportCommand({}), o));
    // Without its generation time a report's age is unknown, and answering as if it were fresh would mislead.
    if (!out.Content || !out.GeneratedTime) {
      throw new IamException(IamErrorCode.ReportMalformed, 'IAM returned a credential report without content or time', {
        action: 'GetCredentialReport',
      });
    }
    return { content: out.Content, generatedTime: out.GeneratedTime };
  }

  /** Closes the SDK client and its sockets; a later call creates a new one. */
  async destroy(): Promise<void> {
    await this.mutex.runExclusive(() => {
      this.client?.destroy();
      this.client = undefined;
    });
  }

  private async getClient(): Promise<IAMClient> {
    if (this.client) {
      return this.client;
    }
    return this.mutex.runExclusive(async () => {
      if (!this.client) {
        await this.learnAccountId();
        this.client = this.createClient();
      }
      return this.client;
    });
  }

  /** So the own account's metrics and logs carry its id from the first call (a probe's), not from the first scan. */
  private async learnAccountId(): Promise<void> {
    const { lookupAccountId } = this.options;
    if (this.id !== undefined || !lookupAccountId) {
      return;
    }
    try {
      this.id = await lookupAccountId();
    } catch (err) {
      // Not this call's business: the label stays 'self' until a scan, which needs STS anyway, names the account.
      this.logger.debug({ err }, 'the own account id is not known yet');
    }
  }

  private createClient(): IAMClient {
    const { config } = this;
    const options: IAMClientConfig = {
      region: config.region,
      maxAttempts: config.maxAttempts,
      retryMode: 'standard',
      // Resolve each command class's middleware stack once, not per call: a scan sends thousands of the same command.
      cacheMiddleware: true,
      requestHandler: awsHttpHandler(config),
    };
    if (config.endpoint) {
      options.endpoint = config.endpoint;
    }
    if (this.options.credentials) {
      options.credentials = this.options.credentials;
    }
    const client = new IAMClient(options);
    const { observer } = this.options;
    installPacing(client, {
      governor: this.governor,
      onAttempt: observer
        ? (action, outcome, durationMs) => observer.onAttempt(action, outcome, durationMs, this.accountLabel)
        : undefined,
    });
    const target = config.endpoint ? ` for endpoint ${redactUserinfo(config.endpoint)}` : '';
    this.logger.log({ accountId: this.accountLabel }, `IAM client created${target}`);
    return client;
  }

  private async send<O extends { $metadata?: { attempts?: number } }>(
    action: string,
    call: Call<O>,
    options: SendOptions = {},
  ): Promise<O> {
    const { slots } = options;
    const scan = scanDeadlineStorage.getStore();
    const signals = [options.signal, scan?.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const leave = scan?.enter(action);
    try {
      return await (slots
        ? slotStorage.run(slots, () => this.sendNow(action, call, options, signal))
        : this.sendNow(action, call, options, signal));
    } finally {
      leave?.();
    }
  }

  private async sendNow<O extends { $metadata?: { attempts?: number } }>(
    action: string,
    call: Call<O>,
    { waitOutThrottling = true }: SendOptions,
    signal: AbortSignal | undefined,
  ): Promise<O> {
    const client = await this.getClient();
    const deadline = Date.now() + (waitOutThrottling ? this.config.throttleMaxWaitMs : 0);
    for (let round = 0; ; round++) {
      if (signal?.aborted) {
        throw abortedError(signal, action);
      }
      try {
        const out = await call(client, { abortSignal: signal });
        countRetries(out.$metadata?.attempts);
        return out;
      } catch (err) {
        countRetries((err as { $metadata?: { attempts?: number } }).$metadata?.attempts);
        if (signal?.aborted) {
          throw abortedError(signal, action);
        }
        // The account's governor already spaces every attempt to what IAM allows, so this short jittered pause only
        // spreads the retries of calls whose SDK retry budget ran dry; the deadline, not a count, ends them.
        const waitMs = Math.min(1000, 50 * 2 ** Math.min(round, 10)) * (0.5 + Math.random() / 2);
        if (err instanceof ScanStoppedError) {
          throw err;
        }
        if (isThrottlingError(err) && Date.now() + waitMs < deadline) {
          const meter = meterStorage.getStore();
          if (meter) {
            meter.retries++;
          }
          await sleep(waitMs, undefined, { signal }).catch(() => undefined); // an abort is seen at the loop's top
          continue;
        }
        throw mapAwsError(err, action, this.id);
      }
    }
  }
}

function countRetries(attempts: number | undefined): void {
  const meter = meterStorage.getStore();
  if (meter && attempts && attempts > 1) {
    meter.retries += attempts - 1;
  }
}

function req<T>(value: T | undefined, field: string): T {
  if (value === undefined || value === null) {
    throw new IamException(IamErrorCode.Upstream, `IAM response lacked ${field}`);
  }
  return value;
}
