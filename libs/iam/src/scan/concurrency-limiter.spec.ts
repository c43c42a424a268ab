import { ConcurrencyLimiter } from './concurrency-limiter';

const flush = async () => {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
};

describe(ConcurrencyLimiter.name, () => {
  it('refuses a limit that is not a positive integer', () => {
    for (const limit of [0, -1, 1.5, NaN]) {
      expect(() => new ConcurrencyLimiter(limit)).toThrow(RangeError);
    }
  });

  it('grants `limit` places at once and the next ones in the order they were asked for', async () => {
    const sut = new ConcurrencyLimiter(2);
    const granted: string[] = [];
    const ask = (name: string) => sut.acquire().then((release) => (granted.push(name), release));

    const [a, b] = await Promise.all([ask('a'), ask('b')]);
    const c = ask('c');
    const d = ask('d');
    await flush();
    expect(granted).toEqual(['a', 'b']);
    expect(sut.pending).toBe(2);

    b();
    await flush();
    expect(granted).toEqual(['a', 'b', 'c']);
    a();
    (await c)();
    (await d)();
    expect(granted).toEqual(['a', 'b', 'c', 'd']);
    expect(sut.inFlight).toBe(0);
    expect(sut.peakInFlight).toBe(2);
  });

  it('releases once however often release is called', async () => {
    const sut = new ConcurrencyLimiter(1);
    const release = await sut.acquire();
    const next = sut.acquire();

    release();
    release();
    await next;

    expect(sut.inFlight).toBe(1);
    expect(sut.pending).toBe(0);
  });

  it('runs tasks within the limit and frees the place when a task fails', async () => {
    const sut = new ConcurrencyLimiter(1);
    let running = 0;
    let peak = 0;
    const task = (fail: boolean) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      if (fail) {
        throw new Error('boom');
      }
      return 'ok';
    };

    const results = await Promise.allSettled([sut.run(task(true)), sut.run(task(false)), sut.run(task(false))]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(peak).toBe(1);
    expect(sut.inFlight).toBe(0);
  });
});
