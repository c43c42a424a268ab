import { Injectable } from '@nestjs/common';
import {
  IamErrorCode,
  SELF_ACCOUNT_LABEL,
  type IamCallObserver,
  type IamCallOutcome,
  type OrganizationScanObserver,
  type OrganizationScanResult,
  type RateGovernorSnapshot,
  type ScanObserver,
  type ScanResult,
  type ScanSource,
} from '@app/iam';
import { FINDING_CODES, type ExemptionCounts, type FindingCounts, type InventoryObserver } from '@app/findings';
import type { InventoryScanObserver, InventoryScanReport } from '@app/scans/runner/inventory-scan.observer';
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

const ACCOUNT_STATUSES = ['ok', 'failed', 'skipped'] as const;
const ASSUME_ROLE_CODES = new Set<string>([
  IamErrorCode.AccountAccessDenied,
  IamErrorCode.AccountCredentialsUnavailable,
]);

/**
 * One registry per app instance (not prom-client's global one), so tests can boot several apps. IAM calls,
 * scans, keys and the pace carry `account_id` (the own account reads `self` until its id is known).
 */
@Injectable()
export class MetricsService
  implements IamCallObserver, ScanObserver, OrganizationScanObserver, InventoryObserver, InventoryScanObserver
{
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
    help: 'HTTP attempts to IAM (retries included) by account, action and outcome (throttled: IAM throttled it)',
    labelNames: ['action', 'outcome', 'account_id'] as const,
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
    help: 'Duration of account scans that really ran (shared or cached answers excluded) by account, strategy and outcome',
    labelNames: ['strategy', 'outcome', 'account_id'] as const,
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
    help: 'Access keys seen by the last scan of each account and strategy, by age band and status',
    labelNames: ['strategy', 'band', 'status', 'account_id'] as const,
    registers: [this.registry],
  });

  private readonly rootKeysFound = new Gauge({
    name: 'root_access_keys',
    help: 'Root user access keys seen by the last credential report scan of each account',
    labelNames: ['account_id'] as const,
    registers: [this.registry],
  });

  private readonly accounts = new Gauge({
    name: 'accounts',
    help: 'Accounts of the last scan across accounts by status (ok, failed, skipped)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  private readonly assumeRoleFailures = new Counter({
    name: 'account_assume_role_failures_total',
    help: 'Account scans that failed because AssumeRole into the account failed, by account and code',
    labelNames: ['account_id', 'code'] as const,
    registers: [this.registry],
  });

  private readonly inventoryScans = new Counter({
    name: 'inventory_scans_total',
    help: 'Scans kept in the store, by how they ended (complete, partial, failed) and what started them',
    labelNames: ['status', 'trigger'] as const,
    registers: [this.registry],
  });

  private readonly inventoryReadAt = new Gauge({
    name: 'inventory_data_read_timestamp_seconds',
    help: 'When the stored inventory of each account was read from IAM (its age: time() minus this), as this process recorded it',
    labelNames: ['account_id'] as const,
    registers: [this.registry],
  });

  private readonly keyIdsFromCache = new Counter({
    name: 'credential_report_key_ids_from_cache_total',
    help: 'Users whose access key ids a credential report scan took from the warm cache instead of ListAccessKeys',
    registers: [this.registry],
  });

  private readonly findings = new Gauge({
    name: 'access_key_findings',
    help: 'Keys holding each finding (exempted ones included) in the last inventory of each account, under the configured thresholds',
    labelNames: ['code', 'account_id'] as const,
    registers: [this.registry],
  });

  private readonly exemptions = new Gauge({
    name: 'exemptions',
    help: 'Exemptions by state at the last inventory: active (file entries in force and tag exemptions found), expiring_14d, expired, unmatched (in force, matched no finding)',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  /** Read at scrape time; set by the app once the IAM clients exist (they depend on this service, not the reverse). */
  private governors?: () => ReadonlyMap<string, RateGovernorSnapshot>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const snapshots = () => this.governors?.();
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
        help: `${help}, by account`,
        labelNames: ['account_id'] as const,
        registers: [this.registry],
        collect() {
          for (const [account, current] of snapshots() ?? []) {
            this.set({ account_id: account }, read(current));
          }
        },
      });
    }
  }

  /** `snapshots` gives each account's pace, keyed by account id. */
  watchRateGovernors(snapshots: () => ReadonlyMap<string, RateGovernorSnapshot>): void {
    this.governors = snapshots;
  }

  observeHttp(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  onAttempt(action: string, outcome: IamCallOutcome, durationMs: number, accountId = SELF_ACCOUNT_LABEL): void {
    this.iamCalls.inc({ action, outcome, account_id: accountId });
    this.iamCallDuration.observe({ action }, durationMs / 1000);
  }

  scanStarted(source: ScanSource): void {
    this.scansInFlight.inc({ strategy: source });
  }

  scanFinished(
    source: ScanSource,
    outcome: 'ok' | 'error',
    durationMs: number,
    result?: ScanResult,
    accountId = SELF_ACCOUNT_LABEL,
  ): void {
    this.scansInFlight.dec({ strategy: source });
    this.scanDuration.observe({ strategy: source, outcome, account_id: accountId }, durationMs / 1000);
    if (!result) {
      return;
    }
    for (const { band } of AGE_BANDS) {
      for (const status of ['Active', 'Inactive']) {
        this.keysFound.set({ strategy: source, band, status, account_id: accountId }, 0);
      }
    }
    for (const key of result.keys) {
      this.keysFound.inc({ strategy: source, band: ageBand(key.ageHours), status: key.status, account_id: accountId });
    }
    if (source === 'credential-report') {
      this.rootKeysFound.set({ account_id: accountId }, result.rootKeys.length);
      this.keyIdsFromCache.inc(result.stats.keyIdsFromCache ?? 0);
    }
  }

  organizationScanFinished(result: OrganizationScanResult): void {
    for (const status of ACCOUNT_STATUSES) {
      this.accounts.set({ status }, result.accounts.filter((a) => a.status === status).length);
    }
    for (const outcome of result.accounts) {
      if (outcome.status === 'failed' && ASSUME_ROLE_CODES.has(outcome.code)) {
        this.assumeRoleFailures.inc({ account_id: outcome.accountId, code: outcome.code });
      }
    }
  }

  inventoryScanFinished(report: InventoryScanReport): void {
    this.inventoryScans.inc({ status: report.status, trigger: report.trigger });
    for (const a of report.recorded) {
      this.inventoryReadAt.set({ account_id: a.accountId }, a.dataReadAt.getTime() / 1000);
    }
  }

  inventoryFinished(findings: FindingCounts, exemptions: ExemptionCounts): void {
    for (const [accountId, counts] of findings) {
      for (const code of FINDING_CODES) {
        this.findings.set({ code, account_id: accountId }, counts[code]);
      }
    }
    this.exemptions.set({ state: 'active' }, exemptions.active);
    this.exemptions.set({ state: 'expiring_14d' }, exemptions.expiringWithin14Days);
    this.exemptions.set({ state: 'expired' }, exemptions.expired);
    if (exemptions.unmatched !== undefined) {
      this.exemptions.set({ state: 'unmatched' }, exemptions.unmatched);
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
