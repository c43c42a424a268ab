const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** mulberry32: tiny, fast and good enough to make seeded accounts and jitter reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SeededRandom {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  float(): number {
    return this.next();
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Spreads values evenly over orders of magnitude, so "minutes to years" gets as many minutes as years. */
  logUniform(min: number, max: number): number {
    if (max <= min) {
      return min;
    }
    return Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min)));
  }

  base32(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) {
      out += BASE32[Math.floor(this.next() * 32)];
    }
    return out;
  }
}
