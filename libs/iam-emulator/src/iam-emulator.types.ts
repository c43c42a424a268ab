import type { LatencyTotals } from './emulated-latency';
import type { IamAccount } from './iam-account.model';
import type { RateLimit } from './token-bucket';

export type EmulatedAccountStatus = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';

export interface EmulatedAccount {
  /** 12 digits; must equal `account.accountId`. */
  id: string;
  name: string;
  email?: string;
  /** Default ACTIVE. Accounts that are not ACTIVE refuse AssumeRole, as AWS does. */
  status?: EmulatedAccountStatus;
  /** The root (EMULATED_ROOT_ID) or an OU id. Default the root. */
  parentId?: string;
  account: IamAccount;
  /** This account's own IAM token bucket. Default: the emulator's `rateLimit`, a bucket of its own. */
  rateLimit?: RateLimit;
  faults?: Partial<EmulatorFaultSettings>;
}

export interface EmulatedOu {
  /** `ou-<4-32 of [0-9a-z]>-<8-32 of [a-z0-9]>`. */
  id: string;
  name: string;
  /** The root or another OU. */
  parentId: string;
}

export interface EmulatedOrganization {
  /** One of `accounts`; the emulator's base credentials sign as this account. */
  managementAccountId: string;
  accounts: EmulatedAccount[];
  ous?: EmulatedOu[];
  /** Items per Organizations page (MaxResults only lowers it). Default 20, as AWS. */
  pageSize?: number;
}

export interface IamEmulatorOptions {
  /** The account served; mutate it freely while the emulator runs. Default: an empty account. Not with `organization`. */
  account?: IamAccount;
  /** Several accounts under Organizations, each with its own IAM, report, rate limit, faults and counters. */
  organization?: EmulatedOrganization;
  /** The only role name AssumeRole grants. Default 'IamKeyMonitorReadOnly'. */
  memberRoleName?: string;
  /** Other role names AssumeRole grants too, e.g. a separate remediation role. Default none. */
  otherRoleNames?: string[];
  /** When set, AssumeRole without exactly this ExternalId is AccessDenied. */
  requiredExternalId?: string;
  /** Lifetime of AssumeRole credentials, overriding DurationSeconds (tests make it short). Default DurationSeconds or 3600. */
  sessionTtlSeconds?: number;
  /** Sessions kept (live or expired, so expired keys still answer ExpiredToken); beyond it the oldest are forgotten. Default 100,000. */
  maxSessions?: number;
  /** Added to every request: a fixed delay, or a [min, max] range drawn from a seeded PRNG. Default 0. */
  latencyMs?: number | [number, number];
  /** Seeds the latency jitter. Default 1. */
  seed?: number;
  /** One token bucket per account shared by its IAM actions; beyond it IAM answers 400 Throttling. Default: unlimited. */
  rateLimit?: RateLimit;
  /** A separate bucket for SES SendEmail; beyond it SES answers 429 TooManyRequestsException. */
  sesRateLimit?: RateLimit;
  /** How long a credential report takes to generate. Default 0. */
  reportDelayMs?: number;
  /** Age at which a credential report expires and the next GenerateCredentialReport starts a new one. Default 4 h, as in AWS. */
  reportTtlMs?: number;
  /** Wall clock for report times (ms since the epoch). Default Date.now. */
  clock?: () => number;
  /** Answer 403 MissingAuthenticationToken to requests without an Authorization header. Default true. */
  requireAuth?: boolean;
  /** Initial faults of the default (or management) account; they stay adjustable on `emulator.faults`. */
  faults?: Partial<EmulatorFaultSettings>;
}

export interface ServerErrorBurst {
  /** How many of the next IAM requests fail. */
  count: number;
  status: 500 | 503;
}

export interface EmulatorFaultSettings {
  /** Actions (IAM, STS or Organizations) this account's callers are refused with AccessDenied. */
  accessDenied: Set<string>;
  /** Users still listed by ListUsers but deleted the moment a per-user call names them (which gets NoSuchEntity). */
  vanishingUsers: Set<string>;
  /** The next `count` IAM requests answer 500 ServiceFailure or 503 ServiceUnavailable. */
  serverErrors: ServerErrorBurst;
  /** Credential report generation stays in progress until this is turned off again. */
  reportNeverCompletes: boolean;
  /**
   * IAM actions (or `SendEmail`) whose requests are held without an answer, a black hole: each stays open until
   * the client gives up or the emulator stops. Removing an action answers only the requests that come after.
   */
  hang: Set<string>;
  /** SendEmail to any of these (to, cc or bcc; case-insensitive) answers 400 MessageRejected. */
  rejectRecipients: Set<string>;
  /** The next N SendEmail requests answer 429 TooManyRequestsException (Infinity for all of them). */
  throttleSendEmail: number;
  /**
   * Account ids whose role AssumeRole refuses with AccessDenied. Emulator-wide: every account's settings share
   * this one set (also `emulator.assumeRoleDenied`).
   */
  assumeRoleDenied: Set<string>;
}

export interface EmulatorCounters {
  /** Per action, including throttled and failed requests. SES shows as SendEmail. */
  requests: Record<string, number>;
  throttled: Record<string, number>;
  /** Per error code, across IAM and SES. */
  errors: Record<string, number>;
  totalIamRequests: number;
  totalErrors: number;
  /** IAM requests currently being answered (including their latency). */
  inFlight: number;
  peakInFlight: number;
  /** The emulated latency of IAM requests: as drawn from latencyMs and as delivered (arrival to answer). */
  latency: LatencyTotals;
}
