import { UserTagsCache } from './user-tags.cache';

describe(UserTagsCache.name, () => {
  let load: jest.Mock<Promise<Record<string, string>>, []>;

  beforeEach(() => {
    load = jest.fn().mockResolvedValue({ team: 'data' });
  });

  it('shares one read within the TTL and reads again at the TTL', async () => {
    const sut = new UserTagsCache(1000);

    await Promise.all([sut.read('a', 0, load), sut.read('a', 999, load)]);
    expect(load).toHaveBeenCalledTimes(1);
    await sut.read('a', 1000, load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('reads every time with a TTL of 0', async () => {
    const sut = new UserTagsCache(0);

    await sut.read('a', 0, load);
    await sut.read('a', 0, load);

    expect(load).toHaveBeenCalledTimes(2);
    expect(sut.size).toBe(0);
  });

  it('keeps at most maxEntries users, the least recently read going first', async () => {
    const sut = new UserTagsCache(1000, 2);

    await sut.read('a', 0, load);
    await sut.read('b', 0, load);
    await sut.read('c', 0, load);
    expect(sut.size).toBe(2);
    await sut.read('a', 1, load);
    expect(load).toHaveBeenCalledTimes(4);
  });
});
