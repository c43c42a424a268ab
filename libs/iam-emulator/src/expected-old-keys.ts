import type { AccessKeyStatus, IamAccount } from './iam-account.model';
import type { EmulatedOrganization } from './iam-emulator.types';

const HOUR_MS = 3_600_000;

export interface OldKeyQuery {
  hours: number;
  includeInactive?: boolean;
  now?: Date;
}

/** Same shape as the service's OldAccessKey, so tests can compare answers with toEqual. */
export interface ExpectedOldKey {
  userName: string;
  accessKeyId: string;
  createdDate: Date;
  status: AccessKeyStatus;
  ageHours: number;
}

export type ExpectedKey = ExpectedOldKey;

export interface OrganizationKeyQuery extends OldKeyQuery {
  /** Only these accounts (in organization order still). Default every ACTIVE account. */
  accountIds?: readonly string[];
}

/** Same shape as the service's RootAccessKey. */
export interface ExpectedRootKey {
  slot: 1 | 2;
  active: boolean;
  lastRotated: Date;
  ageHours: number;
}

function ageHours(nowMs: number, created: Date): number {
  return Math.round(((nowMs - created.getTime()) / HOUR_MS) * 10) / 10;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What a correct scan must answer: IAM users' keys at least `hours` old (created at or before
 * now - hours), Active only unless includeInactive; oldest first, ties by user name then key id.
 */
export function expectedOldKeys(account: IamAccount, query: OldKeyQuery): ExpectedOldKey[] {
  const nowMs = (query.now ?? new Date()).getTime();
  const cutoff = nowMs - query.hours * HOUR_MS;
  const keys: ExpectedOldKey[] = [];
  for (const user of account.listUsers()) {
    for (const key of user.accessKeys) {
      if (key.createDate.getTime() <= cutoff && (query.includeInactive || key.status === 'Active')) {
        keys.push({
          userName: user.userName,
          accessKeyId: key.accessKeyId,
          createdDate: key.createDate,
          status: key.status,
          ageHours: ageHours(nowMs, key.createDate),
        });
      }
    }
  }
  return keys.sort(
    (a, b) =>
      a.createdDate.getTime() - b.createdDate.getTime() ||
      compareText(a.userName, b.userName) ||
      compareText(a.accessKeyId, b.accessKeyId),
  );
}

/** The root user's old keys as the credential report reveals them (by slot, no key id), slot order. */
export function expectedRootKeys(account: IamAccount, query: OldKeyQuery): ExpectedRootKey[] {
  const nowMs = (query.now ?? new Date()).getTime();
  const cutoff = nowMs - query.hours * HOUR_MS;
  const lastRotatedOf = (created: Date) => new Date(Math.floor(created.getTime() / 1000) * 1000);
  return account.root.accessKeys
    .map((key, index) => ({
      slot: (index + 1) as 1 | 2,
      active: key.status === 'Active',
      lastRotated: lastRotatedOf(key.createDate),
      ageHours: ageHours(nowMs, lastRotatedOf(key.createDate)),
    }))
    .filter((key) => key.lastRotated.getTime() <= cutoff && (query.includeInactive || key.active));
}

function byActiveAccount<T>(
  org: EmulatedOrganization,
  query: OrganizationKeyQuery,
  expected: (account: IamAccount) => T,
): Map<string, T> {
  const wanted = query.accountIds ? new Set(query.accountIds) : undefined;
  const answer = new Map<string, T>();
  for (const { id, status, account } of org.accounts) {
    if ((status ?? 'ACTIVE') === 'ACTIVE' && (!wanted || wanted.has(id))) {
      answer.set(id, expected(account));
    }
  }
  return answer;
}

/**
 * expectedOldKeys for each account a scan of the organization reaches: the ACTIVE ones (the others are
 * skipped), in organization order, keyed by account id. An account without old keys maps to [].
 */
export function expectedOldKeysByAccount(
  org: EmulatedOrganization,
  query: OrganizationKeyQuery,
): Map<string, ExpectedOldKey[]> {
  return byActiveAccount(org, query, (account) => expectedOldKeys(account, query));
}

export function expectedRootKeysByAccount(
  org: EmulatedOrganization,
  query: OrganizationKeyQuery,
): Map<string, ExpectedRootKey[]> {
  return byActiveAccount(org, query, (account) => expectedRootKeys(account, query));
}
