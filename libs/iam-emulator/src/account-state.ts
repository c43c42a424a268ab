import { CredentialReportGenerator } from './credential-report.generator';
import { emptyLatencyTotals } from './emulated-latency';
import { IamActionHandler } from './iam-actions.handler';
import type { IamAccount } from './iam-account.model';
import type {
  EmulatedAccount,
  EmulatedAccountStatus,
  EmulatorCounters,
  EmulatorFaultSettings,
} from './iam-emulator.types';
import { TokenBucket, type RateLimit } from './token-bucket';

export function emptyCounters(inFlight = 0): EmulatorCounters {
  return {
    requests: {},
    throttled: {},
    errors: {},
    totalIamRequests: 0,
    totalErrors: 0,
    inFlight,
    peakInFlight: inFlight,
    latency: emptyLatencyTotals(),
  };
}

export function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Counters that can be reset while requests are in flight: a reset keeps the count of those still out. */
export class CounterBox {
  value = emptyCounters();

  reset(): void {
    this.value = emptyCounters(this.value.inFlight);
  }
}

/** Counts one request in several boxes (the emulator's and its account's) and takes it out again when done. */
export class CountedRequest {
  private readonly taken: EmulatorCounters[];

  constructor(
    private readonly boxes: CounterBox[],
    action: string,
    private readonly inFlight: boolean,
  ) {
    this.taken = boxes.map((box) => box.value);
    for (const counters of this.taken) {
      bump(counters.requests, action);
      if (inFlight) {
        counters.totalIamRequests++;
        counters.inFlight++;
        counters.peakInFlight = Math.max(counters.peakInFlight, counters.inFlight);
      }
    }
  }

  get counters(): EmulatorCounters[] {
    return this.taken;
  }

  failed(code: string, action: string, throttled = code === 'Throttling'): void {
    for (const counters of this.taken) {
      if (throttled) {
        bump(counters.throttled, action);
      }
      bump(counters.errors, code);
      counters.totalErrors++;
    }
  }

  done(): void {
    if (!this.inFlight) {
      return;
    }
    this.taken.forEach((counters, i) => {
      counters.inFlight--;
      if (counters !== this.boxes[i].value) {
        this.boxes[i].value.inFlight--;
      }
    });
  }
}

export function faultSettings(
  initial: Partial<EmulatorFaultSettings> | undefined,
  assumeRoleDenied: Set<string>,
): EmulatorFaultSettings {
  return {
    accessDenied: new Set(initial?.accessDenied),
    vanishingUsers: new Set(initial?.vanishingUsers),
    serverErrors: { count: 0, status: 500, ...initial?.serverErrors },
    reportNeverCompletes: initial?.reportNeverCompletes ?? false,
    hang: new Set(initial?.hang),
    rejectRecipients: new Set(initial?.rejectRecipients),
    throttleSendEmail: initial?.throttleSendEmail ?? 0,
    assumeRoleDenied,
  };
}

export interface AccountStateDefaults {
  rateLimit?: RateLimit;
  reportDelayMs: number;
  reportTtlMs: number;
  clock: () => number;
  assumeRoleDenied: Set<string>;
}

/** Everything one emulated account owns: its IAM data, credential report, token bucket, faults and counters. */
export class AccountState {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly status: EmulatedAccountStatus;
  readonly parentId?: string;
  readonly account: IamAccount;
  readonly faults: EmulatorFaultSettings;
  readonly report: CredentialReportGenerator;
  readonly handler: IamActionHandler;
  readonly bucket?: TokenBucket;
  readonly counters = new CounterBox();

  constructor(init: EmulatedAccount, defaults: AccountStateDefaults) {
    this.id = init.id;
    this.name = init.name;
    this.email = init.email ?? `aws+${init.id}@example.com`;
    this.status = init.status ?? 'ACTIVE';
    this.parentId = init.parentId;
    this.account = init.account;
    this.faults = faultSettings(init.faults, defaults.assumeRoleDenied);
    this.report = new CredentialReportGenerator(() => this.account, {
      delayMs: defaults.reportDelayMs,
      ttlMs: defaults.reportTtlMs,
      clock: defaults.clock,
      neverCompletes: () => this.faults.reportNeverCompletes,
    });
    this.handler = new IamActionHandler({
      account: this.account,
      report: this.report,
      vanishingUsers: this.faults.vanishingUsers,
    });
    const rateLimit = init.rateLimit ?? defaults.rateLimit;
    this.bucket = rateLimit ? new TokenBucket(rateLimit) : undefined;
  }
}
