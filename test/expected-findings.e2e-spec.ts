import { seedAccount } from '@app/iam-emulator';
import { expectedFindings, expectedRootFindings, keyIdsByFinding } from './support/expected-findings';

const NOW = new Date('2026-06-15T12:00:00Z');

describe('expected findings of the seeded account', () => {
  const account = seedAccount({ seed: 42, users: 300, now: NOW, rootAccessKeys: 2, lastUseCases: true });
  const keys = expectedFindings(account, { now: NOW });
  const byUser = (userName: string) =>
    keys.filter((k) => k.userName === userName).sort((a, b) => a.createdDate.getTime() - b.createdDate.getTime());

  it.each([
    ['lastuse-never-past-grace', [['never_used']]],
    ['lastuse-never-in-grace', [[]]],
    ['lastuse-never-at-grace', [['never_used']]],
    ['lastuse-unused-at-limit', [['unused']]],
    ['lastuse-today-both', [['two_active'], ['two_active']]],
    ['lastuse-inactive-then-unused', [[], ['unused']]],
    ['lastuse-inactive-then-never', [[], ['never_used']]],
    ['lastuse-unused-then-inactive', [['unused'], []]],
    [
      'lastuse-months-both',
      [
        ['unused', 'two_active'],
        ['unused', 'two_active'],
      ],
    ],
  ])('%s: findings per slot', (userName, findings) => {
    expect(byUser(userName).map((k) => k.findings)).toEqual(findings);
  });

  it('has every code somewhere, each key once, oldest first', () => {
    const sets = keyIdsByFinding(keys);
    expect(Object.values(sets).every((ids) => ids.length > 0)).toBe(true);
    expect(new Set(keys.map((k) => k.accessKeyId)).size).toBe(keys.length);
    expect(keys.map((k) => k.createdDate.getTime())).toEqual(
      keys.map((k) => k.createdDate.getTime()).sort((a, b) => a - b),
    );
    expect(sets.old.length).toBe(
      keys.filter((k) => NOW.getTime() - k.createdDate.getTime() >= 2160 * 3_600_000).length,
    );
  });

  it('follows threshold overrides', () => {
    const strict = expectedFindings(account, { now: NOW, thresholds: { unusedMaxDays: 61 } });
    expect(strict.filter((k) => k.userName === 'lastuse-inactive-then-unused').map((k) => k.findings)).toEqual([
      [],
      [],
    ]);
  });

  it('gives root keys old, unused and never_used, never two_active', () => {
    const root = expectedRootFindings(account, { now: NOW });
    expect(root.map((k) => k.slot)).toEqual([1, 2]);
    expect(root.every((k) => !k.findings.includes('two_active'))).toBe(true);
  });
});
