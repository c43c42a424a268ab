import type { KeyRecord } from './emulator-protocol';

export const MB = 1024 * 1024;

/** Runs a full collection when node runs with --expose-gc (npm run bench does); a no-op otherwise. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

export const canCollectGarbage = (): boolean => typeof (globalThis as { gc?: unknown }).gc === 'function';

/** Samples RSS and heap on a timer; the peak of a phase is what memoryUsage at its end would miss. */
export class MemorySampler {
  peakRss = 0;
  peakHeapUsed = 0;
  private timer?: NodeJS.Timeout;

  start(intervalMs = 20): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    return this;
  }

  stop(): this {
    clearInterval(this.timer);
    this.sample();
    return this;
  }

  private sample(): void {
    const usage = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, usage.rss);
    this.peakHeapUsed = Math.max(this.peakHeapUsed, usage.heapUsed);
  }
}

export interface KeyCheck {
  expected: number;
  returned: number;
  /** Expected keys the scan did not return. */
  lost: number;
  /** Keys the scan returned that were not expected, or returned with a different date or status. */
  extra: number;
}

const identity = (k: KeyRecord) => `${k.userName}\u0000${k.accessKeyId}\u0000${k.createdMs}\u0000${k.status}`;

/**
 * Exact comparison with the emulator's own answer. A scan reads "now" somewhere between `before` and
 * `after`, so a key is required if it was old already at `before` and allowed if it was old by `after`.
 */
export function checkKeys(returned: KeyRecord[], required: KeyRecord[], allowed: KeyRecord[] = required): KeyCheck {
  const got = new Set(returned.map(identity));
  const ok = new Set(allowed.map(identity));
  return {
    expected: required.length,
    returned: returned.length,
    lost: required.filter((k) => !got.has(identity(k))).length,
    extra: returned.filter((k) => !ok.has(identity(k))).length + (returned.length - got.size),
  };
}

export const keysOk = (check: KeyCheck): boolean => check.lost === 0 && check.extra === 0;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function sumCalls(calls: Record<string, number>, except: string[] = []): number {
  return Object.entries(calls)
    .filter(([action]) => !except.includes(action))
    .reduce((sum, [, n]) => sum + n, 0);
}
