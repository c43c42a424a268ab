import { RequestSlots, ScanStoppedError } from './request-slots';

const flush = async () => {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
};

/** A call that holds until released from the outside, counting how many run at once. */
function gatedCalls() {
  const releases: Array<() => void> = [];
  let running = 0;
  let peak = 0;
  const call = () =>
    new Promise<void>((resolve) => {
      running++;
      peak = Math.max(peak, running);
      releases.push(() => {
        running--;
        resolve();
      });
    });
  return { call, releases, peak: () => peak };
}

describe(RequestSlots.name, () => {
  it('prepares up to twice the limit of calls, the rest wait their turn', async () => {
    const sut = new RequestSlots(3);
    const calls = gatedCalls();

    const all = Array.from({ length: 10 }, () => sut.run(calls.call));
    await flush();
    expect(calls.releases).toHaveLength(6);

    while (calls.releases.length > 0) {
      calls.releases.shift()?.();
      await flush();
    }
    await Promise.all(all);
    expect(calls.peak()).toBe(6);
    expect(sut.peakCalls).toBe(6);
  });

  it('grants `limit` request slots at once', async () => {
    const sut = new RequestSlots(2);
    const held = await Promise.all([sut.acquire(), sut.acquire()]);
    let third = false;
    const waiting = sut.acquire().then((release) => ((third = true), release));
    await flush();
    expect(third).toBe(false);

    held[0]();
    (await waiting)();
    held[1]();

    expect(third).toBe(true);
    expect(sut.peakInFlight).toBe(2);
  });

  it('once stopped, refuses the requests still waiting and any later ones, and frees their slots', async () => {
    const sut = new RequestSlots(1);
    const out = await sut.acquire();
    const waiting = sut.acquire();

    sut.stop();
    out();

    await expect(waiting).rejects.toBeInstanceOf(ScanStoppedError);
    await expect(sut.acquire()).rejects.toThrow('the scan stopped before this request went out');
    expect(sut.peakInFlight).toBe(1);
  });
});
