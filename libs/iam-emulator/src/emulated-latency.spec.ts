import { EmulatedLatency, emptyLatencyTotals, type LatencyClock } from './emulated-latency';
import { SeededRandom } from './seeded-random';

/** A clock that only moves when told to; sleep() records its argument and moves the clock by it. */
class FakeClock implements LatencyClock {
  t = 1_000;
  readonly sleeps: number[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    return Promise.resolve();
  }
}

const signal = new AbortController().signal;

describe('EmulatedLatency', () => {
  let clock: FakeClock;

  beforeEach(() => {
    clock = new FakeClock();
  });

  it('draws a fixed latency, or uniformly within a range from the seed', () => {
    expect(new EmulatedLatency(15, new SeededRandom(1), clock).draw()).toBe(15);
    expect(new EmulatedLatency(undefined, new SeededRandom(1), clock).draw()).toBe(0);

    const a = new EmulatedLatency([10, 20], new SeededRandom(7), clock);
    const b = new EmulatedLatency([10, 20], new SeededRandom(7), clock);
    const drawn = Array.from({ length: 1000 }, () => a.draw());
    expect(Array.from({ length: 1000 }, () => b.draw())).toEqual(drawn);
    expect(Math.min(...drawn)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...drawn)).toBeLessThan(20);
    expect(drawn.reduce((x, y) => x + y, 0) / drawn.length).toBeCloseTo(15, 0);
  });

  it('holds from the arrival, so time already spent on the request counts towards the latency', async () => {
    const sut = new EmulatedLatency(15, new SeededRandom(1), clock);
    const arrivedAt = clock.t;
    clock.t += 4; // reading and parsing the body

    await sut.hold(arrivedAt, 15, signal);

    expect(clock.sleeps).toEqual([11]);
    expect(clock.t).toBe(arrivedAt + 15);
  });

  it('does not wait when the latency is zero or already spent', async () => {
    const sut = new EmulatedLatency(15, new SeededRandom(1), clock);

    await sut.hold(clock.t, 0, signal);
    await sut.hold(clock.t - 20, 15, signal);

    expect(clock.sleeps).toEqual([]);
  });

  it('totals what was drawn and what was delivered, from arrival to answer', () => {
    const sut = new EmulatedLatency(15, new SeededRandom(1), clock);
    const totals = emptyLatencyTotals();

    clock.t = 1_016;
    sut.answered(1_000, 15, totals);
    clock.t = 1_030;
    sut.answered(1_016, 14, totals);
    sut.answered(1_016, 0, totals); // no latency asked for: not an emulated-latency answer

    expect(totals).toEqual({ answered: 2, drawnMs: 29, deliveredMs: 30 });
  });

  it('starts later timers earlier by a tenth of each lateness, so late timers average out', async () => {
    const sut = new EmulatedLatency(15, new SeededRandom(1), clock);
    const totals = emptyLatencyTotals();

    clock.t = 1_017;
    sut.answered(1_000, 15, totals); // 2 ms late
    expect(sut.lead).toBeCloseTo(0.2, 10);

    const arrivedAt = clock.t;
    await sut.hold(arrivedAt, 15, signal);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeCloseTo(14.8, 10);
  });

  it('waits longer after early answers, and one stalled answer moves the timers no more than 0.3 ms', () => {
    const sut = new EmulatedLatency(15, new SeededRandom(1), clock);
    const totals = emptyLatencyTotals();

    clock.t = 1_014;
    sut.answered(1_000, 15, totals); // 1 ms early
    expect(sut.lead).toBeCloseTo(-0.1, 10);

    clock.t = 2_000;
    sut.answered(1_000, 15, totals); // 985 ms late: the process stalled, not the timer
    expect(sut.lead).toBeCloseTo(0.2, 10);
  });

  it('never moves the timers by more than 3 ms', () => {
    const sut = new EmulatedLatency(15, new SeededRandom(1), clock);
    const totals = emptyLatencyTotals();

    for (let i = 0; i < 200; i++) {
      clock.t = 2_000;
      sut.answered(2_000 - 25, 15, totals);
    }
    expect(sut.lead).toBe(3);
    for (let i = 0; i < 400; i++) {
      clock.t = 2_000;
      sut.answered(2_000 - 5, 15, totals);
    }
    expect(sut.lead).toBe(-3);
  });
});
