import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

/** The record {@link ThrottlerStorage.increment} answers (the interface's own type is not exported by name). */
export interface ThrottlerHitRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/** A client's hits for one throttler, oldest first: the instants they stop counting. */
class HitQueue {
  private times: number[] = [];
  private head = 0;

  get size(): number {
    return this.times.length - this.head;
  }

  get oldest(): number | undefined {
    return this.head < this.times.length ? this.times[this.head] : undefined;
  }

  push(expiresAt: number): void {
    this.times.push(expiresAt);
  }

  /** Drops the hits that expired by `now`; the array is compacted once half of it is spent. */
  prune(now: number): void {
    while (this.head < this.times.length && this.times[this.head] <= now) {
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.times = [];
    this.head = 0;
  }
}

interface ClientRecord {
  hits: Map<string, HitQueue>;
  expiresAt: number;
  blockExpiresAt: number;
  isBlocked: boolean;
}

export const THROTTLER_SWEEP_INTERVAL_MS = 60_000;

/**
 * @nestjs/throttler's in-memory storage, same answers (a sliding window of each hit for `ttl`, then a block for
 * `blockDuration` once over the limit), without its cost per request: the library filters every live hit into a
 * new array on each request and spreads them into Math.min, so at a few thousand requests per second from one
 * client each request copied thousands of numbers and the heap churned. Here each client's hits are a queue in
 * time order, pruned from the front: constant work per request. (Hits are pushed in Date.now() order; if the wall
 * clock steps back, later hits may wait behind earlier ones and count a little longer, never shorter.)
 */
export class SlidingWindowThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly records = new Map<string, ClientRecord>();
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sweepIntervalMs = THROTTLER_SWEEP_INTERVAL_MS,
  ) {}

  /** Clients remembered now (for tests: idle ones are swept). */
  get size(): number {
    return this.records.size;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerHitRecord> {
    return Promise.resolve(this.hit(key, ttl, limit, blockDuration, throttlerName));
  }

  hit(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ThrottlerHitRecord {
    this.ensureSweep();
    const now = this.now();
    let record = this.records.get(key);
    if (!record) {
      record = { hits: new Map(), expiresAt: now + ttl, blockExpiresAt: 0, isBlocked: false };
      this.records.set(key, record);
    }
    let hits = record.hits.get(throttlerName);
    if (!hits) {
      hits = new HitQueue();
      record.hits.set(throttlerName, hits);
    }
    hits.prune(now);
    let timeToExpire = Math.ceil((record.expiresAt - now) / 1000);
    if (timeToExpire <= 0) {
      record.expiresAt = now + ttl;
      timeToExpire = Math.ceil(ttl / 1000);
    }
    if (blockDuration <= 0) {
      const isBlocked = hits.size >= limit;
      if (!isBlocked) {
        hits.push(now + ttl);
      }
      const oldest = hits.oldest;
      return {
        totalHits: hits.size + (isBlocked ? 1 : 0),
        timeToExpire,
        isBlocked,
        timeToBlockExpire: isBlocked ? (oldest === undefined ? timeToExpire : Math.ceil((oldest - now) / 1000)) : 0,
      };
    }
    if (!record.isBlocked) {
      hits.push(now + ttl);
    }
    if (hits.size > limit && !record.isBlocked) {
      record.isBlocked = true;
      record.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((record.blockExpiresAt - now) / 1000);
    if (timeToBlockExpire <= 0 && record.isBlocked) {
      record.isBlocked = false;
      hits.clear();
      hits.push(now + ttl);
    }
    return { totalHits: hits.size, timeToExpire, isBlocked: record.isBlocked, timeToBlockExpire };
  }

  /**
   * Whether {@link hit} would answer blocked now, without counting anything: a caller that would rather let
   * the full rate-limit guard answer a refusal asks this first.
   */
  wouldBlock(key: string, limit: number, throttlerName: string): boolean {
    const record = this.records.get(key);
    if (!record) {
      return limit < 1;
    }
    const now = this.now();
    if (record.isBlocked) {
      return Math.ceil((record.blockExpiresAt - now) / 1000) > 0;
    }
    const hits = record.hits.get(throttlerName);
    hits?.prune(now);
    return (hits?.size ?? 0) + 1 > limit;
  }

  /** Forgets the clients with nothing left to count: no live hit, no block, window over. */
  evictIdle(now = this.now()): void {
    for (const [key, record] of this.records) {
      if ((record.isBlocked && record.blockExpiresAt > now) || record.expiresAt > now) {
        continue;
      }
      let live = false;
      for (const hits of record.hits.values()) {
        hits.prune(now);
        live ||= hits.size > 0;
      }
      if (!live) {
        this.records.delete(key);
      }
    }
  }

  onApplicationShutdown(): void {
    if (this.sweep) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
    this.records.clear();
  }

  private ensureSweep(): void {
    if (!this.sweep) {
      this.sweep = setInterval(() => this.evictIdle(), this.sweepIntervalMs);
      this.sweep.unref();
    }
  }
}
