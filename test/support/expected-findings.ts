import { findingsForAll, ROOT_USER_NAME, type FindingCode, type FindingThresholds, type KeyFacts } from '@app/findings';
import type { EmulatedAccessKey, EmulatedOrganization, IamAccount } from '@app/iam-emulator';

const HOUR_MS = 3_600_000;

export const DEFAULT_THRESHOLDS: FindingThresholds = {
  rotationMaxAgeHours: 2160,
  unusedMaxDays: 45,
  neverUsedGraceHours: 1080,
};

export interface FindingsQuery {
  now: Date;
  thresholds?: Partial<FindingThresholds>;
}

/** One key of the inventory as a correct scan must see it, with its findings under the policy. */
export interface ExpectedKeyFindings extends KeyFacts {
  ageHours: number;
  findings: FindingCode[];
}

export interface ExpectedRootKeyFindings extends ExpectedKeyFindings {
  slot: 1 | 2;
}

function facts(accountId: string, userName: string, key: EmulatedAccessKey, root = false): KeyFacts {
  return {
    accountId,
    userName,
    accessKeyId: key.accessKeyId,
    status: key.status,
    createdDate: key.createDate,
    lastUsedDate: key.lastUsed?.date ?? null,
    lastUsedService: key.lastUsed?.serviceName ?? null,
    lastUsedRegion: key.lastUsed?.region ?? null,
    ...(root && { root: true }),
  };
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every IAM user's key of the account with its findings (both slots, by key id), oldest first, ties by user
 * name then key id: the order the routes answer in. Computed by @app/findings over the emulator's own state.
 */
export function expectedFindings(account: IamAccount, query: FindingsQuery): ExpectedKeyFindings[] {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...query.thresholds };
  const keys = account
    .listUsers()
    .flatMap((user) => user.accessKeys.map((key) => facts(account.accountId, user.userName, key)));
  return findingsForAll(keys, query.now, thresholds)
    .map(({ key, findings }) => ({ ...key, ageHours: ageHours(query.now, key.createdDate), findings }))
    .sort(
      (a, b) =>
        a.createdDate.getTime() - b.createdDate.getTime() ||
        compareText(a.userName, b.userName) ||
        compareText(a.accessKeyId, b.accessKeyId),
    );
}

/** The root user's keys, slot order, with old / unused / never_used only (never two_active). */
export function expectedRootFindings(account: IamAccount, query: FindingsQuery): ExpectedRootKeyFindings[] {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...query.thresholds };
  const keys = account.root.accessKeys.map((key) => facts(account.accountId, ROOT_USER_NAME, key, true));
  return findingsForAll(keys, query.now, thresholds).map(({ key, findings }, index) => ({
    ...key,
    slot: (index + 1) as 1 | 2,
    ageHours: ageHours(query.now, key.createdDate),
    findings,
  }));
}

/** expectedFindings of each ACTIVE account of the organization (the others are skipped), keyed by account id. */
export function expectedFindingsByAccount(
  org: EmulatedOrganization,
  query: FindingsQuery,
): Map<string, ExpectedKeyFindings[]> {
  return new Map(
    org.accounts
      .filter(({ status }) => (status ?? 'ACTIVE') === 'ACTIVE')
      .map(({ id, account }) => [id, expectedFindings(account, query)]),
  );
}

/** The key ids holding each finding code: the exact sets tests compare per code. */
export function keyIdsByFinding(keys: readonly ExpectedKeyFindings[]): Record<FindingCode, string[]> {
  const sets: Record<FindingCode, string[]> = { old: [], unused: [], never_used: [], two_active: [] };
  for (const key of keys) {
    for (const code of key.findings) {
      sets[code].push(key.accessKeyId);
    }
  }
  return sets;
}

function ageHours(now: Date, created: Date): number {
  return Math.round(((now.getTime() - created.getTime()) / HOUR_MS) * 10) / 10;
}
