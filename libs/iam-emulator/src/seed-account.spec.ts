import { createHash } from 'node:crypto';
import type { IamAccount } from './iam-account.model';
import { LAST_USE_CASES, seedAccount } from './seed-account';

const NOW = new Date('2026-06-15T12:00:00Z');
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const YEAR_MS = 365 * DAY_MS;

function snapshot(account: IamAccount) {
  return { root: account.root, users: account.listUsers() };
}

describe(seedAccount.name, () => {
  it('gives the same account for the same seed', () => {
    const a = seedAccount({ seed: 7, users: 200, now: NOW, rootAccessKeys: 2 });
    const b = seedAccount({ seed: 7, users: 200, now: NOW, rootAccessKeys: 2 });

    expect(snapshot(a)).toEqual(snapshot(b));
  });

  it('gives a different account for a different seed', () => {
    const a = seedAccount({ seed: 7, users: 50, now: NOW });
    const b = seedAccount({ seed: 8, users: 50, now: NOW });

    expect(snapshot(a)).not.toEqual(snapshot(b));
    expect(a.listUsers().map((u) => u.accessKeys.map((k) => k.accessKeyId))).not.toEqual(
      b.listUsers().map((u) => u.accessKeys.map((k) => k.accessKeyId)),
    );
  });

  describe('with 500 users', () => {
    let sut: IamAccount;

    beforeEach(() => {
      sut = seedAccount({ seed: 42, users: 500, now: NOW });
    });

    it('makes the requested number of users with IAM-valid names, some using every allowed special', () => {
      const names = sut.listUsers().map((u) => u.userName);

      expect(names).toHaveLength(500);
      expect(names.every((n) => /^[\w+=,.@-]{1,64}$/.test(n))).toBe(true);
      expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(500);
      expect(names).toContain('svc-0001');
      for (const special of ['+', '=', ',', '.', '@', '_', '-']) {
        expect(names.some((n) => n.includes(special))).toBe(true);
      }
    });

    it('makes unique, real-looking access key ids and 0 to 2 keys a user', () => {
      const keys = sut.listUsers().flatMap((u) => u.accessKeys);
      const perUser = new Set(sut.listUsers().map((u) => u.accessKeys.length));

      expect(keys.every((k) => /^AKIA[A-Z2-7]{16}$/.test(k.accessKeyId))).toBe(true);
      expect(new Set(keys.map((k) => k.accessKeyId)).size).toBe(keys.length);
      expect([...perUser].sort()).toEqual([0, 1, 2]);
    });

    it('spreads creation over minutes to years, keys never before their user, all on whole seconds', () => {
      const users = sut.listUsers();
      const ages = users.map((u) => NOW.getTime() - u.createDate.getTime());

      expect(Math.min(...ages)).toBeLessThan(60 * MINUTE_MS);
      expect(Math.max(...ages)).toBeGreaterThan(2 * YEAR_MS);
      for (const user of users) {
        expect(user.createDate.getTime() % 1000).toBe(0);
        for (const key of user.accessKeys) {
          expect(key.createDate.getTime()).toBeGreaterThanOrEqual(user.createDate.getTime());
          expect(key.createDate.getTime()).toBeLessThanOrEqual(NOW.getTime());
          expect(key.createDate.getTime() % 1000).toBe(0);
        }
      }
    });

    it('makes some keys Inactive and tags some users with valid and a few with invalid emails', () => {
      const keys = sut.listUsers().flatMap((u) => u.accessKeys);
      const emails = sut
        .listUsers()
        .map((u) => u.tags.email)
        .filter((e) => e !== undefined);
      const valid = emails.filter((e) => /^[^\s@]+@[^\s@]+\.[a-z]+$/.test(e));

      expect(keys.filter((k) => k.status === 'Inactive').length).toBeGreaterThan(keys.length * 0.1);
      expect(emails.length).toBeGreaterThan(200);
      expect(valid.length).toBeGreaterThan(emails.length * 0.8);
      expect(valid.length).toBeLessThan(emails.length);
    });
  });

  describe('last use', () => {
    let sut: IamAccount;

    beforeEach(() => {
      sut = seedAccount({ seed: 42, users: 500, now: NOW });
    });

    const sinceUse = (date: Date) => NOW.getTime() - date.getTime();

    it('never and today in both slots, months ago where keys are that old, always within the key’s life', () => {
      const bySlot = [0, 1].map((slot) =>
        sut
          .listUsers()
          .map((u) => u.accessKeys[slot])
          .filter((k) => k !== undefined),
      );
      for (const keys of bySlot) {
        expect(keys.some((k) => k.lastUsed === undefined)).toBe(true);
        expect(keys.some((k) => k.lastUsed && sinceUse(k.lastUsed.date) < DAY_MS)).toBe(true);
        for (const { lastUsed, createDate } of keys) {
          if (lastUsed) {
            expect(lastUsed.date.getTime()).toBeGreaterThanOrEqual(createDate.getTime());
            expect(lastUsed.date.getTime()).toBeLessThanOrEqual(NOW.getTime());
            expect(lastUsed.date.getTime() % 1000).toBe(0);
            expect(lastUsed.serviceName).toMatch(/^[a-z0-9]+$/);
            expect(lastUsed.region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
          }
        }
      }
      expect(bySlot[0].filter((k) => k.lastUsed && sinceUse(k.lastUsed.date) >= 60 * DAY_MS).length).toBeGreaterThan(5);
    });

    it('leaves the key beside an Inactive one unused for months when it is old enough and was ever used', () => {
      const forgotten = Array.from({ length: 20 }, (_, seed) => seedAccount({ seed, users: 300, now: NOW }))
        .flatMap((account) => account.listUsers())
        .filter((u) => u.accessKeys.length === 2 && u.accessKeys.filter((k) => k.status === 'Inactive').length === 1)
        .map((u) => u.accessKeys.find((k) => k.status === 'Active')!)
        .filter((k) => k.lastUsed && NOW.getTime() - k.createDate.getTime() > 60 * DAY_MS);
      expect(forgotten.length).toBeGreaterThan(3);
      expect(forgotten.filter((k) => sinceUse(k.lastUsed!.date) < 60 * DAY_MS)).toEqual([]);
    });

    it('keeps every seeded user, key id, status and date what they were before last use had a mix', () => {
      const digest = createHash('sha256')
        .update(
          JSON.stringify(
            seedAccount({ seed: 42, users: 300, now: NOW, rootAccessKeys: 1 })
              .listUsers()
              .map((u) => [
                u.userName,
                u.createDate,
                u.tags,
                u.accessKeys.map((k) => [k.accessKeyId, k.status, k.createDate]),
              ]),
          ),
        )
        .digest('hex');
      expect(digest).toBe('bd52fd056ac6d39c8f584e05fae4a9a86a5053550b685040d78493ccf8c04419');
    });

    it('adds one user per last-use case when asked, dated from now', () => {
      const plain = seedAccount({ seed: 42, users: 20, now: NOW });
      const withCases = seedAccount({ seed: 42, users: 20, now: NOW, lastUseCases: true });
      const names = Object.keys(LAST_USE_CASES);

      expect(withCases.userCount).toBe(20 + names.length);
      expect(withCases.listUsers().filter((u) => !names.includes(u.userName))).toEqual(plain.listUsers());
      expect(
        withCases.getUser('lastuse-inactive-then-unused')!.accessKeys.map((k) => [k.status, k.createDate, k.lastUsed]),
      ).toEqual([
        [
          'Inactive',
          new Date(NOW.getTime() - 85 * DAY_MS),
          { date: new Date(NOW.getTime() - 84 * DAY_MS), serviceName: 'ec2', region: 'eu-central-1' },
        ],
        [
          'Active',
          new Date(NOW.getTime() - 70 * DAY_MS),
          { date: new Date(NOW.getTime() - 60 * DAY_MS), serviceName: 'dynamodb', region: 'ap-southeast-2' },
        ],
      ]);
      expect(withCases.getUser('lastuse-never-in-grace')!.accessKeys[0].lastUsed).toBeUndefined();
    });
  });

  it('follows the fraction knobs', () => {
    const sut = seedAccount({ seed: 1, users: 100, now: NOW, inactiveFraction: 0, emailTagFraction: 0 });

    expect(
      sut
        .listUsers()
        .flatMap((u) => u.accessKeys)
        .every((k) => k.status === 'Active'),
    ).toBe(true);
    expect(sut.listUsers().some((u) => 'email' in u.tags)).toBe(false);
  });

  it('gives the root user keys only when asked', () => {
    expect(seedAccount({ seed: 3, users: 1, now: NOW }).root.accessKeys).toHaveLength(0);
    expect(seedAccount({ seed: 3, users: 1, now: NOW, rootAccessKeys: true }).root.accessKeys).toHaveLength(1);
  });
});
