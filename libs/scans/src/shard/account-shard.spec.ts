import { inShard, shardLabel, shardOf } from './account-shard';

const ids = Array.from({ length: 300 }, (_, i) => String(200_000_000_000 + i));

describe('account shards', () => {
  it('puts every account in exactly one of N shards, the same one every time', () => {
    for (const count of [1, 2, 3, 7]) {
      for (const id of ids) {
        const owners = Array.from({ length: count }, (_, index) => index).filter((index) =>
          inShard(id, { index, count }),
        );
        expect(owners).toEqual([shardOf(id, count)]);
      }
    }
    expect(shardOf('111111111111', 3)).toBe(shardOf('111111111111', 3));
  });

  it('spreads accounts roughly evenly (300 accounts over 3 shards: none under 80)', () => {
    const sizes = [0, 0, 0];
    for (const id of ids) {
      sizes[shardOf(id, 3)]++;
    }
    expect(sizes.reduce((a, b) => a + b)).toBe(300);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(80);
  });

  it('no shard means every account; labels as the store writes them', () => {
    expect(inShard('111111111111', undefined)).toBe(true);
    expect(shardLabel(undefined)).toBe('all');
    expect(shardLabel({ index: 2, count: 3 })).toBe('2/3');
  });
});
