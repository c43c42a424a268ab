import type { ExpectedInventory, KeyFindingsRecord } from '../emulator-protocol';

/** The route's answer, as much of it as the bench checks. */
export interface KeyBody {
  user_name: string;
  access_key_id: string;
  status: 'Active' | 'Inactive';
  created_date: string;
  last_used_date: string | null;
  last_used_service: string | null;
  last_used_region: string | null;
  findings: string[];
}

export interface InventoryBody {
  access_keys: KeyBody[];
  root_access_keys: (Omit<KeyBody, 'user_name' | 'access_key_id'> & { slot: 1 | 2 })[];
  source: string;
}

export interface InventoryCheck {
  expected: number;
  returned: number;
  /** Expected keys missing from the answer. */
  lost: number;
  /** Keys answered that IAM does not hold, or with another status, date or last use. */
  wrong: number;
  /** Keys whose findings are not between the expected ones before and after the request. */
  wrongFindings: number;
  findings: number;
  /** Users owning a key with a finding: the route reads their tags. */
  usersWithFindings: [number, number];
  root: string;
  rootOk: boolean;
}

const sameFacts = (got: Omit<KeyBody, 'user_name' | 'access_key_id'>, want: KeyFindingsRecord): boolean =>
  got.status === want.status &&
  Date.parse(got.created_date) === want.createdMs &&
  (got.last_used_date === null ? null : Date.parse(got.last_used_date)) === want.lastUsedMs &&
  got.last_used_service === want.lastUsedService &&
  got.last_used_region === want.lastUsedRegion;

/** Findings only grow with time: a key's answer must hold what it held before the request and no more than after. */
const findingsWithin = (got: string[], before: string[], after: string[]): boolean =>
  before.every((f) => got.includes(f)) && got.every((f) => after.includes(f)) && new Set(got).size === got.length;

export function checkInventoryAnswer(
  body: InventoryBody,
  before: ExpectedInventory,
  after: ExpectedInventory,
): InventoryCheck {
  const afterById = new Map(after.keys.map((k) => [k.accessKeyId, k]));
  const returned = new Map(body.access_keys.map((k) => [k.access_key_id, k]));
  let lost = 0;
  let wrong = body.access_keys.length - returned.size;
  let wrongFindings = 0;
  for (const want of before.keys) {
    const got = returned.get(want.accessKeyId);
    if (!got) {
      lost++;
    } else if (got.user_name !== want.userName || !sameFacts(got, want)) {
      wrong++;
    } else if (!findingsWithin(got.findings, want.findings, afterById.get(want.accessKeyId)?.findings ?? [])) {
      wrongFindings++;
    }
  }
  const expectedIds = new Set(before.keys.map((k) => k.accessKeyId));
  wrong += [...returned.keys()].filter((id) => !expectedIds.has(id)).length;

  const usersWith = (keys: KeyFindingsRecord[]) =>
    new Set(keys.filter((k) => k.findings.length > 0).map((k) => k.userName)).size;
  // The bench reads the report first: the store keeps the root keys it read, and a list-users scan (which never
  // lists the root user) does not forget them.
  const wantRoot = before.rootKeys;
  const rootOk =
    body.root_access_keys.length === wantRoot.length &&
    wantRoot.every((want, i) => {
      const got = body.root_access_keys.find((r) => r.slot === want.slot);
      return (
        !!got && sameFacts(got, want) && findingsWithin(got.findings, want.findings, after.rootKeys[i]?.findings ?? [])
      );
    });
  return {
    expected: before.keys.length,
    returned: body.access_keys.length,
    lost,
    wrong,
    wrongFindings,
    findings: body.access_keys.reduce((n, k) => n + k.findings.length, 0),
    usersWithFindings: [usersWith(before.keys), usersWith(after.keys)],
    root: `${body.root_access_keys.length} / ${wantRoot.length} ${rootOk ? '✓' : '✗'}`,
    rootOk,
  };
}
