import { AdaptiveRateGovernor, type AdaptiveRateOptions, type GovernorTimer } from './adaptive-rate.governor';

describe(AdaptiveRateGovernor.name, () => {
  let nowMs: number;
  let timer: GovernorTimer & { sleep: jest.Mock<Promise<void>, [number]> };
  let sut: AdaptiveRateGovernor;

  const options: Partial<AdaptiveRateOptions> = {
    decreaseFactor: 0.5,
    floorPerSecond: 1,
    recoverySeconds: 1,
    windowMs: 1000,
    burstSeconds: 0,
  };
  const sleeps = () => timer.sleep.mock.calls.map(([ms]) => ms);

  /** `count` attempts one after another, each answered `spacingMs` after it went out; the pace at each answer. */
  async function answered(count: number, spacingMs: number): Promise<number[]> {
    const paces: number[] = [];
    for (let i = 0; i < count; i++) {
      const permit = await sut.acquire();
      nowMs += spacingMs;
      paces.push(sut.ratePerSecond);
      sut.record(permit, 'ok');
    }
    return paces;
  }

  async function throttled(): Promise<void> {
    sut.record(await sut.acquire(), 'throttled');
  }

  beforeEach(() => {
    nowMs = 50_000;
    timer = {
      now: () => nowMs,
      sleep: jest.fn((ms: number) => {
        nowMs += ms;
        return Promise.resolve();
      }),
    };
    sut = new AdaptiveRateGovernor(options, timer);
  });

  it('lets every attempt through at once until IAM first throttles', async () => {
    await Promise.all(Array.from({ length: 50 }, () => sut.acquire()));

    expect(timer.sleep).not.toHaveBeenCalled();
    expect(sut.snapshot()).toMatchObject({ ratePerSecond: Infinity, sent: 50, waiting: 0 });
  });

  it('starts from a learnt rate as if just cut there: first attempt at once, then paced', async () => {
    sut = new AdaptiveRateGovernor(options, timer, 10);

    expect(sut.ratePerSecond).toBe(5);
    expect(sut.learntRatePerSecond).toBeUndefined(); // inherited, not yet this account's own finding
    await Promise.all(Array.from({ length: 3 }, () => sut.acquire()));
    // One token to start with, then one every 1/5 s.
    expect(sleeps()).toEqual([200, 200]);
  });

  it('never passes on an inherited rate as learnt, however long it sends at it; a throttle of its own is learnt', async () => {
    sut = new AdaptiveRateGovernor(options, timer, 10);

    await answered(40, 0); // 40 paced answers at 5-10/s: several recovery times
    expect(sut.snapshot().throttled).toBe(0);
    expect(sut.learntRatePerSecond).toBeUndefined();

    nowMs += 5_000;
    await answered(12, 100); // 12 answers 100 ms apart in the window: about 10/s measured at the cut
    await throttled();
    const measured = sut.ratePerSecond / 0.5;
    const paces = await answered(30, 0);
    expect(Math.max(...paces)).toBeGreaterThan(measured); // climbed past the rate measured at the cut
    expect(sut.learntRatePerSecond).toBe(Math.max(...paces));
  });

  it('has learnt a rate only once it has sent at it for the recovery time without another cut', async () => {
    expect(sut.learntRatePerSecond).toBeUndefined();
    for (const bad of [0, -3, Infinity, NaN]) {
      expect(new AdaptiveRateGovernor(options, timer, bad).ratePerSecond).toBe(Infinity);
    }
    await answered(10, 100);
    await throttled();
    expect(sut.learntRatePerSecond).toBeUndefined();

    // recoverySeconds is 1: a second's worth of paced answers (5/s climbing to 10/s) confirms the rate measured
    // at the cut, 10/s, or the fastest pace answered since if higher.
    const first = await answered(4, 0);
    expect(sut.learntRatePerSecond).toBeUndefined();
    const paces = [...first, ...(await answered(5, 0))];
    expect(Math.max(...paces)).toBeLessThan(10);
    expect(sut.learntRatePerSecond).toBe(10);
    paces.push(...(await answered(3, 0)));
    expect(Math.max(...paces)).toBeGreaterThan(10);
    expect(sut.learntRatePerSecond).toBe(Math.max(...paces));
  });

  it('keeps the pace it last confirmed through a later cut until that cut is confirmed in turn', async () => {
    await answered(10, 100);
    await throttled(); // measured 10/s, pace 5/s
    const confirmed = Math.max(...(await answered(12, 0)));
    expect(sut.learntRatePerSecond).toBe(confirmed);

    nowMs += 5_000;
    await answered(4, 250); // IAM now allows only about 4/s
    await throttled();
    expect(sut.ratePerSecond).toBe(2); // half the 4/s measured
    expect(sut.learntRatePerSecond).toBe(confirmed); // the later cut is not confirmed yet

    const paces = await answered(2, 0);
    expect(sut.learntRatePerSecond).toBe(confirmed);
    paces.push(...(await answered(4, 0)));
    expect(sut.learntRatePerSecond).toBe(Math.max(4, ...paces));
    expect(sut.learntRatePerSecond).toBeLessThan(confirmed);
  });

  it('cuts the pace to the factor times the useful rate measured before the throttle', async () => {
    await answered(10, 100); // 10 answers in the last second

    await throttled();

    expect(sut.ratePerSecond).toBe(5);
    expect(sut.snapshot()).toMatchObject({ sent: 11, answered: 10, throttled: 1, decreases: 1 });
  });

  it('cuts again when an attempt sent at the new pace is throttled', async () => {
    sut = new AdaptiveRateGovernor({ ...options, recoverySeconds: 1e9 }, timer);
    await answered(10, 100);
    await throttled(); // 5 per second
    await answered(4, 0); // one every 200 ms

    await throttled();

    expect(sut.ratePerSecond).toBeCloseTo(2.5, 6);
    expect(sut.snapshot().decreases).toBe(2);
  });

  it('reads the useful rate between the answers, not from when measuring began', async () => {
    const first = await sut.acquire();
    nowMs += 500; // the first answer takes long: a new connection, credentials
    sut.record(first, 'ok');
    await answered(4, 10); // then one every 10 ms

    await throttled();

    expect(sut.ratePerSecond).toBe(50);
  });

  it('ignores throttles of attempts that were sent before the last cut', async () => {
    await answered(10, 100);
    const inFlight = await Promise.all([sut.acquire(), sut.acquire(), sut.acquire()]);
    nowMs += 10;

    inFlight.forEach((permit) => sut.record(permit, 'throttled'));

    expect(sut.ratePerSecond).toBe(5);
    expect(sut.snapshot()).toMatchObject({ throttled: 3, decreases: 1 });
  });

  it('makes attempts wait for their tokens, first come first served', async () => {
    await answered(10, 100);
    await throttled(); // 5 per second, bucket emptied

    const permits = await Promise.all([sut.acquire(), sut.acquire(), sut.acquire()]);

    expect(sleeps()).toEqual([200, 200, 200]);
    expect(permits.map((p) => p.sentAt - permits[0].sentAt)).toEqual([0, 200, 400]);
    expect(permits.every((p) => p.paced)).toBe(true);
    expect(sut.snapshot()).toMatchObject({ waiting: 0, waitedMs: 200 + 400 + 600 });
  });

  it('applies a cut to attempts already waiting', async () => {
    sut = new AdaptiveRateGovernor({ ...options, recoverySeconds: 1e9 }, timer);
    await answered(10, 100);
    await throttled(); // 5 per second
    await answered(5, 0);
    const first = await sut.acquire();
    const queued = [sut.acquire(), sut.acquire()];

    sut.record(first, 'throttled');
    await Promise.all(queued);

    expect(sut.ratePerSecond).toBeCloseTo(2.5, 6);
    expect(sleeps()).toEqual([200, 200, 200, 200, 200, 200, 400, 400]);
  });

  it('climbs back to the measured rate within the recovery time of paced sending, then probes beyond', async () => {
    await answered(10, 100);
    await throttled(); // measured 10 per second, cut to 5

    // The rate after each paced answer, against the paced time since the cut (the first slot came 200 ms after it).
    const climb: Array<{ pacedMs: number; rate: number }> = [];
    const cutAt = nowMs;
    while (climb.length === 0 || climb[climb.length - 1].pacedMs < 2000) {
      const permit = await sut.acquire();
      sut.record(permit, 'ok');
      climb.push({ pacedMs: permit.sentAt - cutAt, rate: sut.ratePerSecond });
    }
    const rateAt = (ms: number) => climb.find((c) => c.pacedMs >= ms)?.rate ?? NaN;

    // Concave up to the measured 10 at the recovery time (1 s), convex past it: 15 after 2 s.
    expect(climb.every((c, i) => i === 0 || c.rate >= climb[i - 1].rate)).toBe(true);
    expect(rateAt(250)).toBeGreaterThan(7.5);
    expect(rateAt(1000)).toBeCloseTo(10, 0);
    expect(climb[climb.length - 1].rate).toBeGreaterThan(14.5);
    expect(climb[climb.length - 1].rate).toBeLessThan(16);
    expect(sut.snapshot().decreases).toBe(1);
  });

  it('does not grow on answers that did not wait, nor on errors', async () => {
    sut = new AdaptiveRateGovernor({ ...options, burstSeconds: 1 }, timer);
    await answered(10, 100);
    await throttled(); // 5 per second, bucket of 5 emptied
    nowMs += 2000; // bucket full again

    sut.record(await sut.acquire(), 'ok');
    sut.record(await sut.acquire(), 'error');

    expect(timer.sleep).not.toHaveBeenCalled();
    expect(sut.ratePerSecond).toBe(5);
  });

  it('never drops below the floor', async () => {
    await throttled(); // nothing answered yet: the measured rate is 0
    expect(sut.ratePerSecond).toBe(1);

    for (let i = 0; i < 5; i++) {
      await throttled();
    }

    expect(sut.ratePerSecond).toBe(1);
    expect(sleeps()).toEqual([1000, 1000, 1000, 1000, 1000]);
  });

  it('measures from the first attempt after an idle spell, not over the quiet window', async () => {
    await answered(10, 100);
    nowMs += 60_000;
    await answered(4, 50); // 4 answers in 200 ms: 20 per second

    await throttled();

    expect(sut.ratePerSecond).toBe(10);
  });

  it.each([[{ decreaseFactor: 1 }], [{ decreaseFactor: 0 }], [{ floorPerSecond: 0 }], [{ windowMs: 0 }]])(
    'rejects %j',
    (bad) => {
      expect(() => new AdaptiveRateGovernor(bad, timer)).toThrow(RangeError);
    },
  );
});
