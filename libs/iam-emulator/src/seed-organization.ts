import { EMULATED_ROOT_ID } from './account-router';
import { DEFAULT_ACCOUNT_ID } from './iam-account.model';
import type { EmulatedAccount, EmulatedAccountStatus, EmulatedOrganization, EmulatedOu } from './iam-emulator.types';
import { seedAccount, type SeedAccountOptions } from './seed-account';

/** Two OUs under the root and two more inside the first, so OU walks must recurse. */
export const SEEDED_OUS: readonly EmulatedOu[] = [
  { id: 'ou-0000-workload', name: 'Workloads', parentId: EMULATED_ROOT_ID },
  { id: 'ou-0000-sandbox0', name: 'Sandbox', parentId: EMULATED_ROOT_ID },
  { id: 'ou-0000-prod0000', name: 'Production', parentId: 'ou-0000-workload' },
  { id: 'ou-0000-dev00000', name: 'Development', parentId: 'ou-0000-workload' },
];

export interface SeedOrganizationOptions extends Omit<
  SeedAccountOptions,
  'seed' | 'users' | 'accountId' | 'rootAccessKeys'
> {
  seed: number;
  /** How many accounts, the management account included. */
  accounts: number;
  /** Users in each account, or per account index (0 is the management account). */
  usersPerAccount: number | ((index: number) => number);
  /** Members spread round-robin over the root and SEEDED_OUS instead of all under the root. */
  nestedOus?: boolean;
  /** The last N member accounts are SUSPENDED. Default 0. */
  suspended?: number;
  /** The N member accounts before the suspended ones are PENDING_CLOSURE. Default 0. */
  pendingClosure?: number;
  /** Default DEFAULT_ACCOUNT_ID, the account the emulator's base credentials sign as. */
  managementAccountId?: string;
  pageSize?: number;
  rootAccessKeys?: SeedAccountOptions['rootAccessKeys'];
}

/** Member account ids read as their index: 200000000001, 200000000002, ... */
export function seededMemberAccountId(index: number): string {
  return `2${String(index).padStart(11, '0')}`;
}

/**
 * A deterministic organization: the same options give the same accounts, OUs, users and keys. Each account
 * is seeded on its own (seed × 1000 + index), so key ids differ between accounts.
 */
export function seedOrganization(options: SeedOrganizationOptions): EmulatedOrganization {
  const { seed, accounts: count, usersPerAccount, nestedOus, suspended = 0, pendingClosure = 0 } = options;
  const members = count - 1;
  if (!Number.isInteger(count) || count < 1 || suspended + pendingClosure > members) {
    throw new Error('seedOrganization: needs at least the management account, and no more inactive than members');
  }
  const managementAccountId = options.managementAccountId ?? DEFAULT_ACCOUNT_ID;
  const parents = [EMULATED_ROOT_ID, ...SEEDED_OUS.map((ou) => ou.id)];
  const accounts: EmulatedAccount[] = [];
  for (let index = 0; index < count; index++) {
    const id = index === 0 ? managementAccountId : seededMemberAccountId(index);
    const fromEnd = count - index;
    const status: EmulatedAccountStatus =
      fromEnd <= suspended ? 'SUSPENDED' : fromEnd <= suspended + pendingClosure ? 'PENDING_CLOSURE' : 'ACTIVE';
    const name = index === 0 ? 'management' : `member-${String(index).padStart(3, '0')}`;
    accounts.push({
      id,
      name,
      email: `aws+${name}@example.com`,
      status,
      parentId: index === 0 || !nestedOus ? EMULATED_ROOT_ID : parents[index % parents.length],
      account: seedAccount({
        ...options,
        seed: seed * 1000 + index,
        users: typeof usersPerAccount === 'number' ? usersPerAccount : usersPerAccount(index),
        accountId: id,
      }),
    });
  }
  return {
    managementAccountId,
    accounts,
    ous: nestedOus ? SEEDED_OUS.map((ou) => ({ ...ou })) : [],
    pageSize: options.pageSize,
  };
}
