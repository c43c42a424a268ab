import { EMULATED_ROOT_ID, OU_ID_PATTERN } from './account-router';
import { DEFAULT_ACCOUNT_ID } from './iam-account.model';
import type { EmulatedOrganization } from './iam-emulator.types';
import { SEEDED_OUS, seededMemberAccountId, seedOrganization } from './seed-organization';

const NOW = new Date('2026-06-15T12:00:00Z');

function snapshot(org: EmulatedOrganization) {
  return org.accounts.map(({ account, ...rest }) => ({ ...rest, users: account.listUsers(), root: account.root }));
}

describe(seedOrganization.name, () => {
  it('gives the same organization for the same seed, and another for another seed', () => {
    const a = seedOrganization({ seed: 4, accounts: 5, usersPerAccount: 20, nestedOus: true, now: NOW });
    const b = seedOrganization({ seed: 4, accounts: 5, usersPerAccount: 20, nestedOus: true, now: NOW });
    const c = seedOrganization({ seed: 5, accounts: 5, usersPerAccount: 20, nestedOus: true, now: NOW });

    expect(snapshot(a)).toEqual(snapshot(b));
    expect(snapshot(a)).not.toEqual(snapshot(c));
  });

  it('makes the management account first, members with 12-digit ids, and each its own users and key ids', () => {
    const org = seedOrganization({ seed: 1, accounts: 4, usersPerAccount: (i) => 10 * (i + 1), now: NOW });
    const keyIds = org.accounts.flatMap(({ account }) =>
      account.listUsers().flatMap((user) => user.accessKeys.map((key) => key.accessKeyId)),
    );

    expect(org.managementAccountId).toBe(DEFAULT_ACCOUNT_ID);
    expect(org.accounts.map((account) => [account.id, account.name, account.account.accountId])).toEqual([
      [DEFAULT_ACCOUNT_ID, 'management', DEFAULT_ACCOUNT_ID],
      ['200000000001', 'member-001', '200000000001'],
      ['200000000002', 'member-002', '200000000002'],
      ['200000000003', 'member-003', '200000000003'],
    ]);
    expect(org.accounts.map((account) => account.account.userCount)).toEqual([10, 20, 30, 40]);
    expect(new Set(keyIds).size).toBe(keyIds.length);
    expect(org.accounts[1].account.listUsers()[0].arn).toMatch(/^arn:aws:iam::200000000001:user\//);
    expect(org.accounts.every((account) => account.parentId === EMULATED_ROOT_ID)).toBe(true);
    expect(org.ous).toEqual([]);
  });

  it('spreads members over nested OUs and marks the last ones suspended or closing', () => {
    const org = seedOrganization({
      seed: 1,
      accounts: 11,
      usersPerAccount: 0,
      nestedOus: true,
      suspended: 2,
      pendingClosure: 1,
    });
    const parents = new Set(org.accounts.map((account) => account.parentId));

    expect(org.ous).toEqual(SEEDED_OUS);
    expect(org.ous?.every((ou) => OU_ID_PATTERN.test(ou.id))).toBe(true);
    expect(org.ous?.filter((ou) => ou.parentId !== EMULATED_ROOT_ID)).toHaveLength(2);
    expect(parents).toEqual(new Set([EMULATED_ROOT_ID, ...SEEDED_OUS.map((ou) => ou.id)]));
    expect(org.accounts.map((account) => account.status)).toEqual([
      ...Array<string>(8).fill('ACTIVE'),
      'PENDING_CLOSURE',
      'SUSPENDED',
      'SUSPENDED',
    ]);
    expect(seededMemberAccountId(10)).toBe('200000000010');
  });

  it('refuses more inactive accounts than members', () => {
    expect(() => seedOrganization({ seed: 1, accounts: 2, usersPerAccount: 0, suspended: 2 })).toThrow(
      /no more inactive than members/,
    );
  });
});
