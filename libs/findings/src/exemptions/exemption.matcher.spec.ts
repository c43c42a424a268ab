import type { Exemption } from './exemption.types';
import {
  exemptionFor,
  exemptionMatches,
  exemptionsChangeAt,
  expiredBetween,
  expiringWithin,
  resolveExemption,
  staleExemptions,
  type KeyIdentity,
} from './exemption.matcher';

const EXPIRES = new Date('2026-03-01T00:00:00.000Z');
const BEFORE = new Date(EXPIRES.getTime() - 1);

function exemption(overrides: Partial<Exemption> = {}): Exemption {
  return {
    source: 'file',
    match: { userName: 'alice' },
    findings: 'all',
    reason: 'r',
    expiresAt: EXPIRES,
    ...overrides,
  };
}

const ALICE: KeyIdentity = { accountId: '111111111111', userName: 'alice', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' };

describe(exemptionMatches.name, () => {
  it.each([
    [{ userName: 'alice' }, true],
    [{ userName: 'Alice' }, false],
    [{ userName: 'alic' }, false],
    [{ userName: 'al*' }, true],
    [{ userName: '*ice' }, true],
    [{ userName: 'a*c*' }, true],
    [{ userName: '*' }, true],
    [{ userName: 'b*' }, false],
    [{ accountId: '111111111111' }, true],
    [{ accountId: '222222222222' }, false],
    [{ accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, true],
    [{ accessKeyId: 'AKIAAAAAAAAAAAAAAAA2' }, false],
    [{ accountId: '111111111111', userName: 'alice', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, true],
    [{ accountId: '222222222222', userName: 'alice' }, false],
  ])('%p matches alice: %p', (match, expected) => {
    expect(exemptionMatches(exemption({ match }), ALICE)).toBe(expected);
  });

  it('takes the glob characters of user names literally but for *', () => {
    const dotted: KeyIdentity = { ...ALICE, userName: 'ci.bot+ops' };
    expect(exemptionMatches(exemption({ match: { userName: 'ci.bot+*' } }), dotted)).toBe(true);
    expect(exemptionMatches(exemption({ match: { userName: 'ci.bot+*' } }), { ...ALICE, userName: 'cixbot+ops' })).toBe(
      false,
    );
  });
});

describe(exemptionFor.name, () => {
  it('applies up to the instant before expiry, and not at it', () => {
    const exemptions = [exemption()];
    expect(exemptionFor(ALICE, 'old', exemptions, BEFORE)).toBe(exemptions[0]);
    expect(exemptionFor(ALICE, 'old', exemptions, EXPIRES)).toBeUndefined();
  });

  it('only for the findings it covers, first in declaration order', () => {
    const onlyOld = exemption({ findings: ['old'], reason: 'first' });
    const all = exemption({ reason: 'second' });
    expect(exemptionFor(ALICE, 'old', [onlyOld, all], BEFORE)).toBe(onlyOld);
    expect(exemptionFor(ALICE, 'unused', [onlyOld, all], BEFORE)).toBe(all);
    expect(exemptionFor(ALICE, 'unused', [onlyOld], BEFORE)).toBeUndefined();
  });
});

describe(resolveExemption.name, () => {
  it('exempts a key whose every finding is covered, reporting the exemption', () => {
    const e = exemption({ findings: ['old', 'two_active'] });
    expect(resolveExemption(ALICE, ['old', 'two_active'], [e], BEFORE)).toEqual({
      exemption: e,
      open: [],
      exempted: true,
    });
  });

  it('leaves a key with an uncovered finding unexempted, still naming the exemption that covers part', () => {
    const e = exemption({ findings: ['old'] });
    expect(resolveExemption(ALICE, ['old', 'unused'], [e], BEFORE)).toEqual({
      exemption: e,
      open: ['unused'],
      exempted: false,
    });
  });

  it('prefers an exemption covering everything over an earlier partial one, and combines partial ones', () => {
    const partial = exemption({ findings: ['old'] });
    const whole = exemption({ findings: ['old', 'unused'] });
    const other = exemption({ findings: ['unused'] });
    expect(resolveExemption(ALICE, ['old', 'unused'], [partial, whole], BEFORE).exemption).toBe(whole);
    expect(resolveExemption(ALICE, ['old', 'unused'], [partial, other], BEFORE)).toEqual({
      exemption: partial,
      open: [],
      exempted: true,
    });
  });

  it('stops exempting at the exact instant of expiry', () => {
    expect(resolveExemption(ALICE, ['old'], [exemption()], EXPIRES)).toEqual({
      exemption: null,
      open: ['old'],
      exempted: false,
    });
  });

  it('a key without findings has nothing to exempt', () => {
    expect(resolveExemption(ALICE, [], [exemption()], BEFORE)).toEqual({ exemption: null, open: [], exempted: false });
  });
});

describe(staleExemptions.name, () => {
  const bob: KeyIdentity = { accountId: '111111111111', userName: 'bob', accessKeyId: 'AKIABBBBBBBBBBBBBBB1' };

  it('lists active entries that covered no finding of any scanned key', () => {
    const used = exemption({ match: { userName: 'alice' } });
    const noSuchUser = exemption({ match: { userName: 'carol' } });
    const findingGone = exemption({ match: { userName: 'bob' }, findings: ['old'] });
    const expired = exemption({ match: { userName: 'dave' }, expiresAt: new Date('2026-01-01T00:00:00Z') });
    expect(
      staleExemptions(
        [used, noSuchUser, findingGone, expired],
        [
          { key: ALICE, findings: ['unused'] },
          { key: bob, findings: ['two_active'] },
        ],
        BEFORE,
      ),
    ).toEqual([noSuchUser, findingGone]);
  });

  it('does not call an entry stale on the word of a scan that missed its account', () => {
    const elsewhere = exemption({ match: { accountId: '333333333333' } });
    const here = exemption({ match: { accountId: '111111111111', userName: 'nobody' } });
    expect(staleExemptions([elsewhere, here], [], BEFORE, new Set(['111111111111']))).toEqual([here]);
    expect(staleExemptions([elsewhere, here], [], BEFORE)).toEqual([elsewhere, here]);
  });
});

describe('expiry windows', () => {
  const now = new Date('2026-02-01T00:00:00.000Z');
  const at = (iso: string, reason: string) => exemption({ expiresAt: new Date(iso), reason });
  const all = [
    at('2026-02-16T00:00:00.000Z', 'in 15 days'),
    at('2026-02-15T00:00:00.000Z', 'in exactly 14 days'),
    at('2026-02-01T00:00:00.001Z', 'in a millisecond'),
    at('2026-02-01T00:00:00.000Z', 'now'),
    at('2026-01-20T00:00:00.000Z', '12 days ago'),
    at('2026-01-01T00:00:00.000Z', 'a month ago'),
  ];
  const reasons = (list: Exemption[]) => list.map((e) => e.reason);

  it('expiringWithin: still active and expiring within the days, soonest first', () => {
    expect(reasons(expiringWithin(all, now, 14))).toEqual(['in a millisecond', 'in exactly 14 days']);
  });

  it('expiredBetween: expired at or after since and no longer active now', () => {
    expect(reasons(expiredBetween(all, new Date('2026-01-20T00:00:00.000Z'), now))).toEqual(['12 days ago', 'now']);
  });
});

describe(exemptionsChangeAt.name, () => {
  it('names the first expiry still ahead; one at this very instant has already lapsed', () => {
    const later = new Date(EXPIRES.getTime() + 1_000);
    const list = [exemption({ expiresAt: later }), exemption(), exemption({ expiresAt: BEFORE })];
    expect(exemptionsChangeAt(list, BEFORE)).toBe(EXPIRES.getTime());
    expect(exemptionsChangeAt(list, EXPIRES)).toBe(later.getTime());
    expect(exemptionsChangeAt(list, later)).toBe(Infinity);
    expect(exemptionsChangeAt([], BEFORE)).toBe(Infinity);
  });
});
