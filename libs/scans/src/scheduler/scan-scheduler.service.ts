import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { IAM_CLOCK, type Clock } from '@app/iam';
import { LeaseRepository, RetentionRepository, ScansRepository, storeConfig } from '@app/store';
import { scansConfig } from '../config/scans.config';
import { InventoryScanRunner } from '../runner/inventory-scan.runner';

/** How often a replica looks whether a scan is due (never longer than the interval itself). */
export const SCHEDULER_CHECK_MS = 30_000;
const DAY_MS = 86_400_000;
export const RETENTION_LEASE = 'retention';

/**
 * Scans every SCAN_INTERVAL_MINUTES, counted from the latest scheduled scan's start in the store, so a restart
 * or a second replica does not scan again early. Every replica checks; the shard's scan lease lets exactly one
 * of them scan, the others join it. Once a day, one replica (a day-long lease) purges history past
 * HISTORY_RETENTION_DAYS. SCAN_INTERVAL_MINUTES=0 leaves scanning to the scan CronJob or Job.
 */
@Injectable()
export class ScanSchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ScanSchedulerService.name);
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;
  private tick?: Promise<void>;
  private stopped = false;
  private purgedDay?: string;

  constructor(
    private readonly runner: InventoryScanRunner,
    private readonly scans: ScansRepository,
    private readonly leases: LeaseRepository,
    private readonly retention: RetentionRepository,
    @Inject(scansConfig.KEY) private readonly config: ConfigType<typeof scansConfig>,
    @Inject(storeConfig.KEY) private readonly store: ConfigType<typeof storeConfig>,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.config.intervalMs > 0;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) {
      this.logger.log('SCAN_INTERVAL_MINUTES=0: no scheduled scans in this process');
      return;
    }
    // After boot, not during it: the first scan must not hold readiness or the listening socket back.
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tick;
  }

  /** One look: scan if due, purge if the day's purge is this replica's. Exposed for tests. */
  async check(): Promise<void> {
    await this.scanIfDue();
    await this.purgeIfDue();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) {
      return;
    }
    this.timer = setTimeout(() => {
      this.tick = this.check().finally(() => {
        this.tick = undefined;
        this.schedule(Math.min(this.config.intervalMs, SCHEDULER_CHECK_MS));
      });
    }, delayMs);
    this.timer.unref();
  }

  private async scanIfDue(): Promise<void> {
    try {
      const last = await this.scans.lastStarted(['schedule', 'startup']);
      const now = this.clock.now();
      if (last && now.getTime() - last.startedAt.getTime() < this.config.intervalMs) {
        return;
      }
      const scan = await this.runner.start({ trigger: last ? 'schedule' : 'startup' });
      if (!scan.joined) {
        this.logger.log({ scanId: scan.scanId }, 'scheduled inventory scan started');
      }
      await scan.done;
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'scheduled scan failed');
    }
  }

  private async purgeIfDue(): Promise<void> {
    try {
      const now = this.clock.now();
      const day = now.toISOString().slice(0, 10);
      if (this.purgedDay === day) {
        return;
      }
      // One lease per UTC day, outliving it: the replica that takes it purges, the others skip that day.
      if (!(await this.leases.acquire(`${RETENTION_LEASE}:${day}`, this.holder, 2 * DAY_MS, new Date()))) {
        this.purgedDay = day;
        return;
      }
      const counts = await this.retention.purge(this.store.historyRetentionDays, now);
      await this.leases.sweep(new Date());
      this.purgedDay = day;
      this.logger.log({ retention: { days: this.store.historyRetentionDays, ...counts } }, 'history purged');
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'history purge failed');
    }
  }
}
