import type { FindingThresholds, KeyFacts } from '../findings.types';
import { findingsChangeAt, findingsFor, findingsForAll } from './findings.policy';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const THRESHOLDS: FindingThresholds = { rotationMaxAgeHours: 2160, unusedMaxDays: 45, neverUsedGraceHours: 1080 };

const ago = (ms: number) => new Date(NOW.getTime() - ms);

function key(overrides: Partial<KeyFacts> = {}): KeyFacts {
  return {
    accountId: '111111111111',
    userName: 'alice',
    accessKeyId: 'AKIAAAAAAAAAAAAAAAA1',
    status: 'Active',
    createdDate: ago(10 * DAY),
    lastUsedDate: ago(HOUR),
    lastUsedService: 's3',
    lastUsedRegion: 'eu-west-1',
    ...overrides,
  };
}

describe(findingsFor.name, () => {
  let sut: typeof findingsFor;

  beforeEach(() => {
    sut = findingsFor;
  });

  const codesOf = (...keys: KeyFacts[]) => sut(keys, NOW, THRESHOLDS).map((k) => k.findings);

  it('gives a young, recently used, lone Active key no finding', () => {
    expect(codesOf(key())).toEqual([[]]);
  });

  describe('old: age at least ROTATION_MAX_AGE_HOURS', () => {
    it.each([
      ['a millisecond short', 2160 * HOUR - 1, []],
      ['exactly at it', 2160 * HOUR, ['old']],
      ['past it', 2161 * HOUR, ['old']],
    ])('%s', (_, age, codes) => {
      expect(codesOf(key({ createdDate: ago(age) }))).toEqual([codes]);
    });

    it('applies to Inactive keys too (the route filters by status)', () => {
      expect(codesOf(key({ status: 'Inactive', createdDate: ago(3000 * HOUR) }))).toEqual([['old']]);
    });
  });

  describe('unused: Active, used once, last used at least UNUSED_MAX_DAYS ago', () => {
    const created = ago(60 * DAY);
    it.each([
      ['a millisecond short', 45 * DAY - 1, []],
      ['exactly at it', 45 * DAY, ['unused']],
      ['past it', 50 * DAY, ['unused']],
    ])('%s', (_, since, codes) => {
      expect(codesOf(key({ createdDate: created, lastUsedDate: ago(since) }))).toEqual([codes]);
    });

    it('not for an Inactive key', () => {
      expect(codesOf(key({ status: 'Inactive', createdDate: created, lastUsedDate: ago(50 * DAY) }))).toEqual([[]]);
    });

    it('not for a never-used key (that is never_used, not unused)', () => {
      expect(codesOf(key({ createdDate: created, lastUsedDate: null }))).toEqual([['never_used']]);
    });

    it('a last use after now (clock skew) counts as recent', () => {
      expect(codesOf(key({ createdDate: created, lastUsedDate: new Date(NOW.getTime() + HOUR) }))).toEqual([[]]);
    });
  });

  describe('never_used: Active, never used, created at least NEVER_USED_GRACE_HOURS ago', () => {
    it.each([
      ['inside its grace (made last week for a deploy)', 7 * DAY, []],
      ['a millisecond inside', 1080 * HOUR - 1, []],
      ['exactly at the end of its grace', 1080 * HOUR, ['never_used']],
      ['past it', 1100 * HOUR, ['never_used']],
    ])('%s', (_, age, codes) => {
      expect(codesOf(key({ createdDate: ago(age), lastUsedDate: null }))).toEqual([codes]);
    });

    it('not for an Inactive key', () => {
      expect(codesOf(key({ status: 'Inactive', createdDate: ago(2000 * HOUR), lastUsedDate: null }))).toEqual([[]]);
    });

    it('a grace of 0 makes every never-used Active key a finding at once', () => {
      expect(
        sut([key({ createdDate: NOW, lastUsedDate: null })], NOW, { ...THRESHOLDS, neverUsedGraceHours: 0 })[0]
          .findings,
      ).toEqual(['never_used']);
    });
  });

  describe('two_active: both of the user’s keys Active', () => {
    it('both keys carry it, each beside its own findings, in code order', () => {
      const first = key({ accessKeyId: 'AKIAAAAAAAAAAAAAAAA1', createdDate: ago(2200 * HOUR) });
      const second = key({
        accessKeyId: 'AKIAAAAAAAAAAAAAAAA2',
        lastUsedDate: ago(46 * DAY),
        createdDate: ago(47 * DAY),
      });
      expect(sut([first, second], NOW, THRESHOLDS)).toEqual([
        { key: first, findings: ['old', 'two_active'] },
        { key: second, findings: ['unused', 'two_active'] },
      ]);
    });

    it('not when one of them is Inactive', () => {
      expect(codesOf(key(), key({ accessKeyId: 'AKIAAAAAAAAAAAAAAAA2', status: 'Inactive' }))).toEqual([[], []]);
    });
  });

  it('judges an unused key 2 by itself when key 1 is Inactive (the case Steampipe answers "ok")', () => {
    const inactive = key({ accessKeyId: 'AKIAAAAAAAAAAAAAAAA1', status: 'Inactive', createdDate: ago(400 * DAY) });
    const unused = key({
      accessKeyId: 'AKIAAAAAAAAAAAAAAAA2',
      createdDate: ago(80 * DAY),
      lastUsedDate: ago(70 * DAY),
    });
    expect(sut([inactive, unused], NOW, THRESHOLDS)).toEqual([
      { key: inactive, findings: ['old'] },
      { key: unused, findings: ['unused'] },
    ]);
  });

  it('finds a never-used key 2 too, by key id (the case Prowler skips)', () => {
    const used = key({ accessKeyId: 'AKIAAAAAAAAAAAAAAAA1', status: 'Inactive' });
    const never = key({ accessKeyId: 'AKIAAAAAAAAAAAAAAAA2', createdDate: ago(50 * DAY), lastUsedDate: null });
    expect(sut([used, never], NOW, THRESHOLDS).map((k) => [k.key.accessKeyId, k.findings])).toEqual([
      ['AKIAAAAAAAAAAAAAAAA1', []],
      ['AKIAAAAAAAAAAAAAAAA2', ['never_used']],
    ]);
  });

  it('gives root keys old, unused and never_used but never two_active', () => {
    const root = (id: string, extra: Partial<KeyFacts>) =>
      key({ userName: '<root_account>', accessKeyId: id, root: true, ...extra });
    expect(
      codesOf(
        root('root:1', { createdDate: ago(3000 * HOUR), lastUsedDate: ago(100 * DAY) }),
        root('root:2', { createdDate: ago(1200 * HOUR), lastUsedDate: null }),
      ),
    ).toEqual([['old', 'unused'], ['never_used']]);
  });

  it('refuses keys of two users, which would make two_active wrong', () => {
    expect(() => sut([key(), key({ userName: 'bob' })], NOW, THRESHOLDS)).toThrow(
      'findingsFor takes the keys of one user, got 2 users; use findingsForAll',
    );
  });
});

describe(findingsForAll.name, () => {
  it('groups by account and user, and answers in the input order', () => {
    const a1 = key({ accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' });
    const b1 = key({ userName: 'bob', accessKeyId: 'AKIAAAAAAAAAAAAAAAB1' });
    const a2 = key({ accessKeyId: 'AKIAAAAAAAAAAAAAAAA2' });
    const otherAccountAlice = key({ accountId: '222222222222', accessKeyId: 'AKIAAAAAAAAAAAAAAAC1' });
    expect(findingsForAll([a1, b1, otherAccountAlice, a2], NOW, THRESHOLDS)).toEqual([
      { key: a1, findings: ['two_active'] },
      { key: b1, findings: [] },
      { key: otherAccountAlice, findings: [] },
      { key: a2, findings: ['two_active'] },
    ]);
  });
});

describe(findingsChangeAt.name, () => {
  const at = (k: KeyFacts) => findingsChangeAt(k, NOW.getTime(), THRESHOLDS);
  /** The findings a millisecond before and at the instant findingsChangeAt names. */
  const around = (k: KeyFacts, ms: number) =>
    [ms - 1, ms].map((t) => findingsFor([k], new Date(t), THRESHOLDS)[0].findings);

  it('names the instant a young key turns old, and findingsFor agrees on both sides of it', () => {
    const k = key({ createdDate: ago(2159 * HOUR), lastUsedDate: ago(HOUR) });
    expect(at(k)).toBe(NOW.getTime() + HOUR);
    expect(around(k, at(k))).toEqual([[], ['old']]);
  });

  it('names the instant an Active key goes unused, before it turns old', () => {
    const k = key({ createdDate: ago(10 * DAY), lastUsedDate: ago(44 * DAY) });
    expect(at(k)).toBe(NOW.getTime() + DAY);
    expect(around(k, at(k))).toEqual([[], ['unused']]);
  });

  it('names the end of the never-used grace for an Active key never used', () => {
    const k = key({ createdDate: ago(1079 * HOUR), lastUsedDate: null });
    expect(at(k)).toBe(NOW.getTime() + HOUR);
    expect(around(k, at(k))).toEqual([[], ['never_used']]);
  });

  it('ignores use for an Inactive key (only old can come), and has nothing ahead once every finding is in', () => {
    const inactive = key({ status: 'Inactive', createdDate: ago(10 * DAY), lastUsedDate: ago(44 * DAY) });
    expect(at(inactive)).toBe(ago(10 * DAY).getTime() + 2160 * HOUR);
    expect(at(key({ createdDate: ago(3000 * HOUR), lastUsedDate: null }))).toBe(Infinity);
  });

  it('a threshold reached exactly now is behind, not ahead', () => {
    expect(at(key({ createdDate: ago(2160 * HOUR), lastUsedDate: ago(HOUR) }))).toBe(
      NOW.getTime() + 44 * DAY + 23 * HOUR,
    );
  });
});
