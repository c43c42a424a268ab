import { Gauge, type Registry } from 'prom-client';
import type { RemediationMetricsSnapshot, RemediationRepository } from '@app/store';
import { STORE_METRICS_CACHE_MS, StoreSnapshot, type StoreSnapshotOptions } from './store-snapshot';

/** One store read serves every scrape for this long: a scrape storm costs one read. */
export const REMEDIATION_METRICS_CACHE_MS = STORE_METRICS_CACHE_MS;
/** The window of `remediation_decisions_last_24h`. */
const WINDOW_MS = 24 * 3_600_000;
const RUN_STATUSES = ['complete', 'refused', 'stopped', 'failed'] as const;

export interface RemediationMetricsOptions extends StoreSnapshotOptions {
  /** The instant the 24-hour window ends at (tests move it). */
  clock?: () => Date;
}

/**
 * Remediation's figures on the API's /metrics, read from the store at scrape time: the remediator is a short-lived
 * CronJob nothing scrapes, and its record (remediation_runs, remediation_decisions) is what every process shares.
 * Gauges over the latest run and a 24-hour window, not counters: retention deletes decisions, so no count of them
 * is monotonic. A series exists only for what the store holds: before any run the remediation series are absent.
 * A failed read is logged and leaves them absent for that scrape (the other metrics are still served).
 */
export class RemediationMetricsCollector {
  private readonly clock: () => Date;
  private readonly store: StoreSnapshot<RemediationMetricsSnapshot>;

  constructor(
    registry: Registry,
    repository: Pick<RemediationRepository, 'metricsSnapshot'>,
    options: RemediationMetricsOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.store = new StoreSnapshot(
      'Remediation metrics',
      () => repository.metricsSnapshot(new Date(this.clock().getTime() - WINDOW_MS)),
      options,
    );
    const read = () => this.snapshot();
    new Gauge({
      name: 'remediation_decisions',
      help: 'Decisions of the latest finished remediation run of each mode, by outcome and reason (from the store)',
      labelNames: ['mode', 'outcome', 'reason'] as const,
      registers: [registry],
      async collect() {
        const snapshot = await read();
        this.reset();
        for (const d of snapshot?.latestRunDecisions ?? []) {
          this.set({ mode: d.mode, outcome: d.outcome, reason: d.reason }, d.count);
        }
      },
    });
    new Gauge({
      name: 'remediation_decisions_last_24h',
      help: 'Remediation decisions taken in the last 24 hours, whatever their run, by mode, outcome and reason (from the store)',
      labelNames: ['mode', 'outcome', 'reason'] as const,
      registers: [registry],
      async collect() {
        const snapshot = await read();
        this.reset();
        for (const d of snapshot?.decisionsSince ?? []) {
          this.set({ mode: d.mode, outcome: d.outcome, reason: d.reason }, d.count);
        }
      },
    });
    new Gauge({
      name: 'remediation_last_run_timestamp_seconds',
      help: 'When the latest finished remediation run of each mode ended (from the store)',
      labelNames: ['mode'] as const,
      registers: [registry],
      async collect() {
        const snapshot = await read();
        this.reset();
        for (const run of snapshot?.latestRuns ?? []) {
          this.set({ mode: run.mode }, run.finishedAt.getTime() / 1000);
        }
      },
    });
    new Gauge({
      name: 'remediation_last_run_status',
      help: 'How the latest finished remediation run of each mode ended: 1 for its status (complete, refused, stopped by the kill switch, failed), 0 for the others',
      labelNames: ['mode', 'status'] as const,
      registers: [registry],
      async collect() {
        const snapshot = await read();
        this.reset();
        for (const run of snapshot?.latestRuns ?? []) {
          for (const status of RUN_STATUSES) {
            this.set({ mode: run.mode, status }, run.status === status ? 1 : 0);
          }
        }
      },
    });
  }

  /** The store's figures, read at most once per cache time whatever the number of scrapes and gauges asking. */
  snapshot(): Promise<RemediationMetricsSnapshot | null> {
    return this.store.get();
  }
}
