import { ThrottlerStorageService } from '@nestjs/throttler';
import { SlidingWindowThrottlerStorage } from './sliding-window.throttler-storage';

describe(SlidingWindowThrottlerStorage.name, () => {
  let now: number;
  let sut: SlidingWindowThrottlerStorage;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    now = Date.now();
    sut = new SlidingWindowThrottlerStorage(() => Date.now());
  });
  afterEach(() => {
    sut.onApplicationShutdown();
    jest.useRealTimers();
  });

  it.each([
    ['blocking for the ttl (the API)', 60_000],
    ['blocking longer', 90_000],
    ['without a block', 0],
  ])('answers exactly as @nestjs/throttler’s own storage, %s', async (_name, blockDuration) => {
    const library = new ThrottlerStorageService();
    // A seeded walk: bursts, pauses, a second client, through blocks and windows.
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3_000; i++) {
      jest.setSystemTime(now + Math.floor(random() * (random() < 0.05 ? 40_000 : 400)));
      now = Date.now();
      const key = random() < 0.8 ? 'default:10.0.0.1' : 'default:10.0.0.2';
      const theirs = await library.increment(key, 60_000, 100, blockDuration, 'default');
      const ours = await sut.increment(key, 60_000, 100, blockDuration, 'default');
      expect({ i, ...ours }).toEqual({ i, ...theirs });
    }
    library.onApplicationShutdown();
  });

  it('blocks once over the limit until the block ends, then counts afresh', () => {
    const hit = () => sut.hit('k', 60_000, 2, 60_000, 'default');
    expect([hit(), hit()].map((r) => r.isBlocked)).toEqual([false, false]);
    expect(hit()).toMatchObject({ isBlocked: true, totalHits: 3, timeToBlockExpire: 60 });
    jest.setSystemTime(now + 59_000);
    expect(hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    jest.setSystemTime(now + 60_000);
    expect(hit()).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('forgets idle clients on its sweep, keeping the blocked and the counted', () => {
    sut.hit('idle', 1_000, 5, 1_000, 'default');
    sut.hit('busy', 120_000, 5, 120_000, 'default');
    jest.setSystemTime(now + 2_000);
    sut.evictIdle();
    expect(sut.size).toBe(1);
  });

  it('says whether the next hit would be refused without counting it', () => {
    expect(sut.wouldBlock('k', 2, 'default')).toBe(false);
    sut.hit('k', 60_000, 2, 60_000, 'default');
    expect(sut.wouldBlock('k', 2, 'default')).toBe(false);
    expect(sut.wouldBlock('k', 2, 'default')).toBe(false);
    sut.hit('k', 60_000, 2, 60_000, 'default');
    expect(sut.wouldBlock('k', 2, 'default')).toBe(true);
    jest.setSystemTime(now + 60_000);
    expect(sut.wouldBlock('k', 2, 'default')).toBe(false);
  });
});
