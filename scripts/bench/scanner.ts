import { Global, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { AccountDirectory } from '@app/accounts';
import {
  CredentialReportStrategy,
  IAM_CALL_OBSERVER,
  IamCallMeter,
  IamClientProvider,
  IamClientRegistry,
  iamConfig,
  IamModule,
  ListUsersStrategy,
  meterStorage,
  OldKeysService,
  OrganizationScanService,
  type IamAccessKey,
  type IamCallObserver,
  type IamCallOutcome,
  type IamConfig,
  type ScanQuery,
  type ScanResult,
} from '@app/iam';
import { EMULATOR_AWS_ENV, setEnv } from '@app/iam-emulator';
import type { KeyRecord } from './emulator-protocol';

/** Sees every HTTP attempt the IAM client makes, retries included: the measured per-call latency and rates. */
export class AttemptRecorder implements IamCallObserver {
  ok = 0;
  throttled = 0;
  errors = 0;
  okLatencyMs = 0;
  /** performance.now() of each successful attempt's end, for rates over a window. */
  readonly okAt: number[] = [];

  onAttempt(_action: string, outcome: IamCallOutcome, durationMs: number): void {
    switch (outcome) {
      case 'ok':
        this.ok++;
        this.okLatencyMs += durationMs;
        this.okAt.push(performance.now());
        break;
      case 'throttled':
        this.throttled++;
        break;
      case 'error':
        this.errors++;
        break;
      default: {
        const _exhaustive: never = outcome;
        throw new Error(`unknown outcome ${String(_exhaustive)}`);
      }
    }
  }

  get meanOkLatencyMs(): number {
    return this.ok > 0 ? this.okLatencyMs / this.ok : NaN;
  }

  reset(): void {
    this.ok = this.throttled = this.errors = this.okLatencyMs = 0;
    this.okAt.length = 0;
  }
}

/**
 * The real IamModule (client provider, strategies, whatever pacing or caching they hold) built by Nest
 * from environment variables, as the API builds it, with an attempt recorder plugged in.
 */
export class BenchScanner {
  private constructor(
    private readonly moduleRef: TestingModule,
    readonly recorder: AttemptRecorder,
  ) {}

  static async create(endpoint: string, env: Record<string, string> = {}): Promise<BenchScanner> {
    const recorder = new AttemptRecorder();
    @Global()
    @Module({ providers: [{ provide: IAM_CALL_OBSERVER, useValue: recorder }], exports: [IAM_CALL_OBSERVER] })
    class BenchObserverModule {}

    // Credentials stay: the SDK reads them at its first call. The rest is read once, when Nest builds the config.
    Object.assign(process.env, EMULATOR_AWS_ENV);
    // STS (the own account id) and Organizations too: nothing may reach for real AWS.
    const restoreEnv = setEnv({
      AWS_ENDPOINT_URL_IAM: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_ENDPOINT_URL_ORGANIZATIONS: endpoint,
      ...env,
    });
    try {
      const moduleRef = await Test.createTestingModule({ imports: [BenchObserverModule, IamModule] })
        .setLogger({ log() {}, warn() {}, error: (m) => console.error(m), debug() {}, verbose() {} })
        .compile();
      await moduleRef.init();
      return new BenchScanner(moduleRef, recorder);
    } finally {
      restoreEnv();
    }
  }

  get config(): IamConfig {
    return this.moduleRef.get<IamConfig>(iamConfig.KEY);
  }

  get iam(): IamClientProvider {
    return this.moduleRef.get(IamClientProvider);
  }

  get organization(): OrganizationScanService {
    return this.moduleRef.get(OrganizationScanService);
  }

  get directory(): AccountDirectory {
    return this.moduleRef.get(AccountDirectory);
  }

  get registry(): IamClientRegistry {
    return this.moduleRef.get(IamClientRegistry);
  }

  get oldKeys(): OldKeysService {
    return this.moduleRef.get(OldKeysService);
  }

  listUsers(query: ScanQuery): Promise<ScanResult> {
    return this.moduleRef.get(ListUsersStrategy).scan(query);
  }

  credentialReport(query: ScanQuery): Promise<ScanResult> {
    return this.moduleRef.get(CredentialReportStrategy).scan(query);
  }

  /**
   * Creates the SDK client, opens the keep-alive connections and lets the JIT compile the call path
   * (signing, XML parsing), so no timed run pays for any of it. Uses the limiter's width of parallel calls.
   */
  async warmUp(calls = 60): Promise<void> {
    await this.iam.ping();
    if (calls === 0) {
      return;
    }
    const { users } = await this.iam.listUsersPage(undefined, calls);
    const width = this.config.concurrency;
    for (let i = 0; i < users.length; i += width) {
      await Promise.all(users.slice(i, i + width).map((u) => this.iam.listAccessKeys(u.userName)));
    }
  }

  /**
   * What a scheduled function looping over users would do: every ListUsers page, then ListAccessKeys for
   * each user one after another, no young-user skip. Same SDK client, so the same config and retries.
   */
  sequentialScan(query: ScanQuery): Promise<SequentialResult> {
    const meter = new IamCallMeter();
    return meterStorage.run(meter, async () => {
      const started = performance.now();
      const cutoff = Date.now() - query.hours * 3_600_000;
      const users: string[] = [];
      let marker: string | undefined;
      do {
        const page = await this.iam.listUsersPage(marker);
        users.push(...page.users.map((u) => u.userName));
        marker = page.nextMarker;
      } while (marker);
      const keys: IamAccessKey[] = [];
      for (const userName of users) {
        for (const key of await this.iam.listAccessKeys(userName)) {
          if (key.createDate.getTime() <= cutoff && (query.includeInactive || key.status === 'Active')) {
            keys.push(key);
          }
        }
      }
      return {
        keys: keys.map((k) => ({
          userName: k.userName,
          accessKeyId: k.accessKeyId,
          createdMs: k.createDate.getTime(),
          status: k.status,
        })),
        callsByAction: { ...meter.callsByAction },
        retries: meter.retries,
        throttles: meter.throttles,
        durationMs: performance.now() - started,
      };
    });
  }

  async close(): Promise<void> {
    await this.moduleRef.close();
  }
}

export interface SequentialResult {
  keys: KeyRecord[];
  callsByAction: Record<string, number>;
  retries: number;
  throttles: number;
  durationMs: number;
}

export function keyRecordsOf(result: ScanResult): KeyRecord[] {
  return result.keys.map((k) => ({
    userName: k.userName,
    accessKeyId: k.accessKeyId,
    createdMs: k.createdDate.getTime(),
    status: k.status,
  }));
}
