import { SendRatePacer } from './send-rate-pacer';

describe(SendRatePacer.name, () => {
  let clock: number;
  let waits: number[];
  let sut: SendRatePacer;

  beforeEach(() => {
    clock = 10_000;
    waits = [];
    sut = new SendRatePacer(
      4,
      () => clock,
      (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    );
  });

  it('spaces concurrent callers evenly at the configured rate', async () => {
    await Promise.all([sut.acquire(), sut.acquire(), sut.acquire(), sut.acquire()]);
    expect(waits).toEqual([250, 500, 750]);
  });

  it('does not wait once the rate has had time to recover', async () => {
    await sut.acquire();
    clock += 1000;
    await sut.acquire();
    expect(waits).toEqual([]);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => new SendRatePacer(0)).toThrow(RangeError);
  });
});
