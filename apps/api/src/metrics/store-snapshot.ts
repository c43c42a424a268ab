import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';

/** One store read serves every scrape for this long: a scrape storm costs one read. */
export const STORE_METRICS_CACHE_MS = 15_000;

export interface StoreSnapshotOptions {
  /** Milliseconds on a monotonic scale, for the cache's age. */
  elapsedMs?: () => number;
  cacheMs?: number;
}

/**
 * Figures read from the store for /metrics, at most once per `cacheMs` whatever the number of scrapes and gauges
 * asking. A failed read is logged (the error's name only: a driver's message may carry connection details) and
 * gives null, so the gauges built on it are absent from that scrape while the other metrics are served.
 */
export class StoreSnapshot<T> {
  private readonly logger = new Logger('Metrics');
  private readonly elapsedMs: () => number;
  private readonly cacheMs: number;
  private cached?: { at: number; value: Promise<T | null> };

  constructor(
    private readonly what: string,
    private readonly read: () => Promise<T>,
    options: StoreSnapshotOptions = {},
  ) {
    this.elapsedMs = options.elapsedMs ?? (() => performance.now());
    this.cacheMs = options.cacheMs ?? STORE_METRICS_CACHE_MS;
  }

  get(): Promise<T | null> {
    const at = this.elapsedMs();
    if (!this.cached || at - this.cached.at >= this.cacheMs) {
      this.cached = {
        at,
        value: this.read().catch((err: unknown) => {
          this.logger.warn({
            msg: `${this.what} could not be read from the store: their series are absent from this scrape`,
            error: (err as { name?: string } | null)?.name ?? 'Error',
          });
          return null;
        }),
      };
    }
    return this.cached.value;
  }
}
