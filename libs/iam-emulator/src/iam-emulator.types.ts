import type { LatencyTotals } from './emulated-latency';
import type { IamAccount } from './iam-account.model';
import type { RateLimit } from './token-bucket';

export interface IamEmulatorOptions {
  /** The account served; mutate it freely while the emulator runs. Default: an empty account. */
  account?: IamAccount;
  /** Added to every request: a fixed delay, or a [min, max] range drawn from a seeded PRNG. Default 0. */
  latencyMs?: number | [number, number];
  /** Seeds the latency jitter. Default 1. */
  seed?: number;
  /** One token bucket shared by all IAM actions; beyond it IAM answers 400 Throttling. Default: unlimited. */
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
  /** Initial fault settings; they stay adjustable on `emulator.faults`. */
  faults?: Partial<EmulatorFaultSettings>;
}

export interface ServerErrorBurst {
  /** How many of the next IAM requests fail. */
  count: number;
  status: 500 | 503;
}

export interface EmulatorFaultSettings {
  /** IAM actions answered with 403 AccessDenied. */
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
