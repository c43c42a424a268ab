export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}

/** Starts full; each request takes one token; tokens come back at ratePerSecond up to burst. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.tokens = limit.burst;
    this.updatedAt = clock();
  }

  tryTake(): boolean {
    const now = this.clock();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.limit.ratePerSecond);
    this.updatedAt = now;
    if (this.tokens < 1) {
      return false;
    }
    this.tokens -= 1;
    return true;
  }
}
