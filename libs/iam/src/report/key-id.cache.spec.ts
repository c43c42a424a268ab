import type { IamAccessKey } from '../iam.types';
import type { ReportKeySlot } from './credential-report.parser';
import { KeyIdCache } from './key-id.cache';

const CREATED = new Date('2026-01-01T00:00:00Z');

function keyOf(userName: string, status: 'Active' | 'Inactive' = 'Active', createDate = CREATED): IamAccessKey {
  return { userName, accessKeyId: `AKIA${userName.toUpperCase()}`, status, createDate };
}

const slot = (active = true, lastRotated = CREATED): ReportKeySlot => ({ slot: 1, active, lastRotated });

describe(KeyIdCache.name, () => {
  let sut: KeyIdCache;

  beforeEach(() => {
    sut = new KeyIdCache(3);
  });

  it('answers while the fingerprint holds and drops the entry when it changes', () => {
    sut.remember('alice', 'fp1', [slot()], [keyOf('alice')]);

    expect(sut.get('alice', 'fp1')).toEqual([keyOf('alice')]);
    expect(sut.get('alice', 'fp2')).toBeUndefined();
    expect(sut.get('alice', 'fp1')).toBeUndefined();
    expect(sut.stats()).toEqual({ entries: 0, hits: 1, misses: 2 });
  });

  it.each([
    ['another creation second', [keyOf('alice', 'Active', new Date(CREATED.getTime() + 1000))]],
    ['another status', [keyOf('alice', 'Inactive')]],
    ['another number of keys', [keyOf('alice'), keyOf('alice')]],
  ])('refuses keys that disagree with the report row: %s', (_case, keys) => {
    sut.remember('alice', 'fp1', [slot()], keys);

    expect(sut.get('alice', 'fp1')).toBeUndefined();
  });

  it('matches creation times to the second, as the report shows them', () => {
    sut.remember('alice', 'fp1', [slot()], [keyOf('alice', 'Active', new Date(CREATED.getTime() + 999))]);

    expect(sut.get('alice', 'fp1')).toHaveLength(1);
  });

  it('drops the least recently used entry beyond its bound', () => {
    for (const user of ['a', 'b', 'c']) {
      sut.remember(user, 'fp', [slot()], [keyOf(user)]);
    }
    sut.get('a', 'fp');

    sut.remember('d', 'fp', [slot()], [keyOf('d')]);

    expect(sut.get('b', 'fp')).toBeUndefined();
    expect(sut.get('a', 'fp')).toBeDefined();
    expect(sut.stats().entries).toBe(3);
  });

  it('forgets users a sweep did not see, and those seen with another fingerprint', () => {
    for (const user of ['a', 'b', 'c']) {
      sut.remember(user, 'fp', [slot()], [keyOf(user)]);
    }

    const sweep = sut.beginSweep();
    sut.seen(sweep, 'a', 'fp');
    sut.seen(sweep, 'b', 'changed');
    sut.endSweep(sweep);

    expect(sut.stats().entries).toBe(1);
    expect(sut.get('a', 'fp')).toBeDefined();
  });

  it('keeps what a newer concurrent sweep saw when an older one ends', () => {
    sut.remember('a', 'fp', [slot()], [keyOf('a')]);
    const older = sut.beginSweep();
    const newer = sut.beginSweep();
    sut.seen(newer, 'a', 'fp');
    sut.seen(older, 'a', 'fp');

    sut.endSweep(older);
    sut.endSweep(newer);

    expect(sut.get('a', 'fp')).toBeDefined();
  });
});
