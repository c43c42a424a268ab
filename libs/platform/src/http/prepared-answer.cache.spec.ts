import { entityTagOf } from './entity-tag';
import { PreparedAnswerCache, type BuiltAnswer } from './prepared-answer.cache';

describe(PreparedAnswerCache.name, () => {
  let sut: PreparedAnswerCache;
  let build: jest.Mock<Promise<BuiltAnswer>, []>;

  beforeEach(() => {
    sut = new PreparedAnswerCache(2);
    build = jest.fn(() => Promise.resolve({ value: { n: build.mock.calls.length }, validUntilMs: 1_000 }));
  });

  it('serializes once and serves the same bytes and tag until validUntilMs', async () => {
    const first = await sut.answer({ key: 'a', nowMs: 0, build });
    const again = await sut.answer({ key: 'a', nowMs: 999, build });
    expect(build).toHaveBeenCalledTimes(1);
    expect(again).toBe(first);
    expect(first.body.toString()).toBe('{"n":1}');
    expect(first.etag).toBe(entityTagOf(first.body));
  });

  it('builds again from validUntilMs on, and the tag follows the bytes', async () => {
    const first = await sut.answer({ key: 'a', nowMs: 0, build });
    const later = await sut.answer({ key: 'a', nowMs: 1_000, build });
    expect(build).toHaveBeenCalledTimes(2);
    expect(later.body.toString()).toBe('{"n":2}');
    expect(later.etag).not.toBe(first.etag);
  });

  it('builds again when the data version changes', async () => {
    await sut.answer({ key: 'a', version: 'scan-1', nowMs: 0, build });
    await sut.answer({ key: 'a', version: 'scan-1', nowMs: 1, build });
    await sut.answer({ key: 'a', version: 'scan-2', nowMs: 2, build });
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing that is stale when built', async () => {
    build.mockResolvedValue({ value: {}, validUntilMs: 0 });
    await sut.answer({ key: 'a', nowMs: 0, build });
    await sut.answer({ key: 'a', nowMs: 0, build });
    expect(build).toHaveBeenCalledTimes(2);
    expect(sut.size).toBe(0);
  });

  it('shares one build among concurrent misses of a key', async () => {
    let finish: (answer: BuiltAnswer) => void = () => undefined;
    build.mockReturnValueOnce(new Promise((resolve) => (finish = resolve)));
    const waiting = Promise.all([0, 1, 2].map((nowMs) => sut.answer({ key: 'a', nowMs, build })));
    finish({ value: { shared: true }, validUntilMs: 10 });
    const answers = await waiting;
    expect(build).toHaveBeenCalledTimes(1);
    expect(new Set(answers).size).toBe(1);
  });

  it('builds anew for a waiter that arrived after the shared answer went stale', async () => {
    let finish: (answer: BuiltAnswer) => void = () => undefined;
    build.mockReturnValueOnce(new Promise((resolve) => (finish = resolve)));
    const early = sut.answer({ key: 'a', nowMs: 0, build });
    const late = sut.answer({ key: 'a', nowMs: 5, build });
    finish({ value: { early: true }, validUntilMs: 5 });
    expect((await early).body.toString()).toBe('{"early":true}');
    expect((await late).body.toString()).toBe('{"n":2}');
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('gives a failed build to its waiters and keeps nothing', async () => {
    build.mockRejectedValueOnce(new Error('IAM down'));
    const results = await Promise.allSettled([0, 1].map((nowMs) => sut.answer({ key: 'a', nowMs, build })));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(build).toHaveBeenCalledTimes(1);
    await sut.answer({ key: 'a', nowMs: 2, build });
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('holds at most maxEntries answers, the least recently used first out', async () => {
    await sut.answer({ key: 'a', nowMs: 0, build });
    await sut.answer({ key: 'b', nowMs: 0, build });
    await sut.answer({ key: 'a', nowMs: 1, build });
    await sut.answer({ key: 'c', nowMs: 1, build });
    expect(sut.size).toBe(2);
    await sut.answer({ key: 'a', nowMs: 2, build });
    expect(build).toHaveBeenCalledTimes(3);
    await sut.answer({ key: 'b', nowMs: 2, build });
    expect(build).toHaveBeenCalledTimes(4);
  });

  it('serves a noted request while its answer is fresh, and never one with a data version', async () => {
    await sut.answer({ key: 'a', nowMs: 0, build });
    sut.remember('GET /a?x=1', 'a', '/a');
    sut.remember('GET /v?x=1', 'a', '/v', 'scan-7');
    expect(sut.warm('GET /a?x=1', 999)).toMatchObject({ route: '/a', answer: { body: Buffer.from('{"n":1}') } });
    expect(sut.warm('GET /a?x=2', 999)).toBeUndefined();
    expect(sut.warm('GET /v?x=1', 999)).toBeUndefined();
    expect(sut.warm('GET /a?x=1', 1_000)).toBeUndefined();
  });

  it("forgets one route's answers by key prefix, and the fast path stops serving them", async () => {
    await sut.answer({ key: 'inventory?x=1', nowMs: 0, build });
    await sut.answer({ key: 'old-keys?x=1', nowMs: 0, build });
    sut.remember('GET /inventory?x=1', 'inventory?x=1', '/inventory');
    sut.forget('inventory');
    expect(sut.warm('GET /inventory?x=1', 1)).toBeUndefined();
    await sut.answer({ key: 'old-keys?x=1', nowMs: 1, build });
    await sut.answer({ key: 'inventory?x=1', nowMs: 1, build });
    expect(build).toHaveBeenCalledTimes(3);
  });
});
