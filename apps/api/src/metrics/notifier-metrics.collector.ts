import { Gauge, type Registry } from 'prom-client';
import type { LadderRepository, OpenLadderStageCount, RotationTimes } from '@app/store';
import { StoreSnapshot, type StoreSnapshotOptions } from './store-snapshot';

/** The windows the median rotation time is shown over, in days (the digest's own). */
export const ROTATION_WINDOWS_DAYS = [30, 90] as const;
const STAGES: ReadonlyArray<OpenLadderStageCount['stage']> = ['unsent', 'warning', 'final', 'expired', 'reminder'];

interface NotifierFigures {
  stages: OpenLadderStageCount[];
  rotations: Array<{ days: number } & RotationTimes>;
}

export interface NotifierMetricsOptions extends StoreSnapshotOptions {
  /** The instant the rotation windows end at (tests move it). */
  clock?: () => Date;
}

/**
 * The notifier's ladder on the API's /metrics, read from the store at scrape time (the notifier is a daily
 * CronJob nothing scrapes): keys by the stage their owner has reached, and the median time from the first email
 * to rotation over 30 and 90 days. Every stage is always shown (0 when none); a window without a rotation has no
 * median sample (there is no median of nothing), its count 0.
 */
export class NotifierMetricsCollector {
  private readonly store: StoreSnapshot<NotifierFigures>;

  constructor(
    registry: Registry,
    repository: Pick<LadderRepository, 'openStageCounts' | 'rotationTimes'>,
    options: NotifierMetricsOptions = {},
  ) {
    const clock = options.clock ?? (() => new Date());
    this.store = new StoreSnapshot(
      'Notifier metrics',
      async () => {
        const now = clock();
        return {
          stages: await repository.openStageCounts(),
          rotations: await Promise.all(
            ROTATION_WINDOWS_DAYS.map(async (days) => ({ days, ...(await repository.rotationTimes(now, days)) })),
          ),
        };
      },
      options,
    );
    const read = () => this.store.get();
    new Gauge({
      name: 'notifier_keys_by_stage',
      help: 'Keys past the warning age and not yet resolved, by the last ladder stage emailed to their owner (unsent: none accepted by SES yet); from the store',
      labelNames: ['stage'] as const,
      registers: [registry],
      async collect() {
        const figures = await read();
        this.reset();
        if (figures) {
          for (const stage of STAGES) {
            this.set({ stage }, figures.stages.find((s) => s.stage === stage)?.count ?? 0);
          }
        }
      },
    });
    new Gauge({
      name: 'notifier_rotation_median_days',
      help: "Median days from a key's first email to its rotation or deletion, over the keys resolved in the window; from the store",
      labelNames: ['window_days'] as const,
      registers: [registry],
      async collect() {
        const figures = await read();
        this.reset();
        for (const r of figures?.rotations ?? []) {
          if (r.medianDays !== null) {
            this.set({ window_days: String(r.days) }, r.medianDays);
          }
        }
      },
    });
    new Gauge({
      name: 'notifier_rotations',
      help: 'Keys rotated or deleted after an email, in the window; from the store',
      labelNames: ['window_days'] as const,
      registers: [registry],
      async collect() {
        const figures = await read();
        this.reset();
        for (const r of figures?.rotations ?? []) {
          this.set({ window_days: String(r.days) }, r.rotations);
        }
      },
    });
  }
}
