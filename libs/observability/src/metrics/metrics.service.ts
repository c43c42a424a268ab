import { Injectable } from '@nestjs/common';
import type {
  IamCallObserver,
  IamCallOutcome,
  RateGovernorSnapshot,
  ScanObserver,
  ScanResult,
  ScanSource,
} from '@app/iam';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const DAY_H = 24;
export const AGE_BANDS: ReadonlyArray<{ band: string; maxHours: number }> = [
  { band: 'under_30d', maxHours: 30 * DAY_H },
  { band: '30d_to_90d', maxHours: 90 * DAY_H },
  { band: '90d_to_180d', maxHours: 180 * DAY_H },
  { band: '180d_to_365d', maxHours: 365 * DAY_H },
  { band: 'over_365d', maxHours: Infinity },
];

export function ageBand(ageHours: number): string {
  return AGE_BANDS.find((b) => ageHours < b.maxHours)!.band;
}

/** One registry per app instance (not prom-client's global one), so tests can boot several apps. */
@Injectable()
export class MetricsService implements IamCallObserver, ScanObserver {
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly iamCalls = new Counter({
    name: 'iam_calls_total',
    help: 'HTTP attempts to IAM (retries included) by action and outcome',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly iamCallDuration = new Histogram({
    name: 'iam_call_duration_seconds',
    help: 'Latency of one IAM attempt by action',
    labelNames: ['action'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly scanDuration = new Histogram({
    name: 'scan_duration_seconds',
    help: 'Duration of scans that really ran (shared or cached answers excluded) by strategy and outcome',
    labelNames: ['strategy', 'outcome'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });

  private readonly scansInFlight = new Gauge({
    name: 'scans_in_flight',
    help: 'Scans running now by strategy',
    labelNames: ['strategy'] as const,
    registers: [this.registry],
  });

  private readonly keysFound = new Gauge({
    name: 'old_access_keys',
    help: 'Access keys seen by the last scan of each strategy, by age band and status',
    labelNames: ['strategy', 'band', 'status'] as const,
    registers: [this.registry],
  });

  private readonly rootKeysFound = new Gauge({
    name: 'root_access_keys',
    help: 'Root account access keys seen by the last credential report scan',
    registers: [this.registry],
  });

  private readonly keyIdsFromCache = new Counter({
    name: 'credential_report_key_ids_from_cache_total',
    help: 'Users whose access key ids a credential report scan took from the warm cache instead of ListAccessKeys',
    registers: [this.registry],
  });

  /** Read at scrape time; set by the app once the IAM client exists (it depends on this service, not the reverse). */
  private governor?: () => RateGovernorSnapshot;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const snapshot = () => this.governor?.();
    const fromGovernor: Array<[string, string, (s: RateGovernorSnapshot) => number]> = [
      // +Inf is valid exposition but breaks most graphs and alert arithmetic: unpaced reads 0, with its own flag.
      [
        'iam_rate_governor_paced',
        '1 once IAM has throttled and calls are paced, 0 while unlimited',
        (s) => (Number.isFinite(s.ratePerSecond) ? 1 : 0),
      ],
      [
        'iam_rate_governor_calls_per_second',
        'Pace the adaptive rate governor allows now (0 while unpaced: see iam_rate_governor_paced)',
        (s) => (Number.isFinite(s.ratePerSecond) ? s.ratePerSecond : 0),
      ],
      ['iam_rate_governor_decreases', 'Times IAM throttling lowered the pace', (s) => s.decreases],
      ['iam_rate_governor_waiting', 'IAM attempts waiting for the pace now', (s) => s.waiting],
    ];
    for (const [name, help, read] of fromGovernor) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const current = snapshot();
          if (current) {
            this.set(read(current));
          }
        },
      });
    }
  }

  watchRateGovernor(snapshot: () => RateGovernorSnapshot): void {
    this.governor = snapshot;
  }

  observeHttp(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  onAttempt(action: string, outcome: IamCallOutcome, durationMs: number): void {
    this.iamCalls.inc({ action, outcome });
    this.iamCallDuration.observe({ action }, durationMs / 1000);
  }

  scanStarted(source: ScanSource): void {
    this.scansInFlight.inc({ strategy: source });
  }

  scanFinished(source: ScanSource, outcome: 'ok' | 'error', durationMs: number, result?: ScanResult): void {
    this.scansInFlight.dec({ strategy: source });
    this.scanDuration.observe({ strategy: source, outcome }, durationMs / 1000);
    if (!result) {
      return;
    }
    for (const { band } of AGE_BANDS) {
      for (const status of ['Active', 'Inactive']) {
        this.keysFound.set({ strategy: source, band, status }, 0);
      }
    }
    for (const key of result.keys) {
      this.keysFound.inc({ strategy: source, band: ageBand(key.ageHours), status: key.status });
    }
    if (source === 'credential-report') {
      this.rootKeysFound.set(result.rootKeys.length);
      this.keyIdsFromCache.inc(result.stats.keyIdsFromCache ?? 0);
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
