import { AuthFailureLimiter, type AuthFailureLimiterOptions } from './auth-failure-limiter';

describe(AuthFailureLimiter.name, () => {
  let now: number;
  let sut: AuthFailureLimiter;
  const build = (options: Partial<AuthFailureLimiterOptions> = {}) =>
    new AuthFailureLimiter({
      failuresPerWindow: 3,
      windowMs: 60_000,
      lockoutMs: 900_000,
      maxClients: 100,
      now: () => now,
      ...options,
    });

  beforeEach(() => {
    now = 1_000_000;
    sut = build();
  });

  it('allows the budget of failures, then locks the client out for the lockout period', () => {
    expect([1, 2, 3].map(() => sut.recordFailure('a'))).toEqual([
      { locked: false },
      { locked: false },
      { locked: false },
    ]);
    expect(sut.recordFailure('a')).toEqual({ locked: true, retryAfterSeconds: 900, justLocked: true });
    now += 100_500;
    expect(sut.check('a')).toEqual({ locked: true, retryAfterSeconds: 800, justLocked: false });
    expect(sut.recordFailure('a')).toEqual({ locked: true, retryAfterSeconds: 800, justLocked: false });
  });

  it('does not extend a lockout with failures made during it', () => {
    sut = build({ failuresPerWindow: 1 });
    sut.recordFailure('a');
    sut.recordFailure('a');
    now += 899_000;
    sut.recordFailure('a');
    now += 1_000;
    expect(sut.check('a')).toEqual({ locked: false });
  });

  it('starts a client afresh after its lockout, with the whole budget again', () => {
    for (let i = 0; i < 4; i++) {
      sut.recordFailure('a');
    }
    now += 900_000;
    expect(sut.check('a')).toEqual({ locked: false });
    expect([1, 2, 3].map(() => sut.recordFailure('a').locked)).toEqual([false, false, false]);
    expect(sut.recordFailure('a').locked).toBe(true);
  });

  it('forgets failures older than the window', () => {
    sut.recordFailure('a');
    sut.recordFailure('a');
    sut.recordFailure('a');
    now += 60_000;
    expect([1, 2, 3].map(() => sut.recordFailure('a').locked)).toEqual([false, false, false]);
  });

  it('keeps one budget per client', () => {
    for (let i = 0; i < 4; i++) {
      sut.recordFailure('a');
    }
    expect(sut.check('a').locked).toBe(true);
    expect(sut.check('b')).toEqual({ locked: false });
    expect(sut.recordFailure('b')).toEqual({ locked: false });
  });

  it('is off with a budget of 0: nothing is tracked, nobody is locked', () => {
    sut = build({ failuresPerWindow: 0 });
    for (let i = 0; i < 50; i++) {
      expect(sut.recordFailure('a')).toEqual({ locked: false });
    }
    expect(sut.enabled).toBe(false);
    expect(sut.trackedClients).toBe(0);
  });

  describe('the bound on tracked clients (maxClients)', () => {
    beforeEach(() => {
      sut = build({ maxClients: 3 });
    });

    it('never tracks more clients than the bound', () => {
      for (let i = 0; i < 1000; i++) {
        sut.recordFailure(`10.0.${i >> 8}.${i & 255}`);
      }
      expect(sut.trackedClients).toBe(3);
    });

    it('drops stale clients first, then the least recently seen', () => {
      sut.recordFailure('stale');
      now += 60_000;
      for (let i = 0; i < 4; i++) {
        sut.recordFailure('locked');
      }
      sut.recordFailure('old');
      sut.recordFailure('locked'); // seen again: the most recent now
      sut.recordFailure('new-1'); // evicts 'stale' (its window is over)
      expect(sut.trackedClients).toBe(3);
      expect(sut.check('locked').locked).toBe(true);
      sut.recordFailure('new-2'); // evicts 'old', the least recently seen
      expect(sut.check('locked').locked).toBe(true);
      for (let i = 0; i < 3; i++) {
        expect(sut.recordFailure('old').locked).toBe(false); // forgotten: a whole budget again
      }
    });
  });
});
