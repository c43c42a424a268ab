/**
 * Runs tasks with at most `limit` in flight, in the order they were submitted, and remembers the peak
 * so tests and benchmarks can check the bound held.
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

  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.active++;
        this.peak = Math.max(this.peak, this.active);
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.queue.shift()?.();
          });
      };
      if (this.active < this.limit) {
        start();
      } else {
        this.queue.push(start);
      }
    });
  }
}
