/**
 * At most `limit` holders at once, served in the order they asked, remembering the peak so tests and
 * benchmarks can check the bound held.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private peak = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
  }

  get inFlight(): number {
    return this.active;
  }

  get peakInFlight(): number {
    return this.peak;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Resolves to a release function once a place is free; calling it more than once releases once. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const take = () => {
        this.active++;
        this.peak = Math.max(this.peak, this.active);
        let released = false;
        resolve(() => {
          if (!released) {
            released = true;
            this.active--;
            this.queue.shift()?.();
          }
        });
      };
      if (this.active < this.limit) {
        take();
      } else {
        this.queue.push(take);
      }
    });
  }

  /** Runs the task once a place is free and holds the place until it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}
