import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FINDINGS_CLOCK } from '@app/findings';
import { IAM_CLOCK } from '@app/iam';
import { DEFAULT_MEMBER_ROLE_NAME, seedOrganization, seededMemberAccountId } from '@app/iam-emulator';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { expectedFindingsByAccount, type ExpectedKeyFindings } from './support/expected-findings';
import { scrapeMetrics, seriesValue } from './support/prometheus-text';

const NOW = new Date('2026-06-15T12:00:00Z');
const ROUTE = '/v1/iam/access-keys';

interface Body {
  access_keys: { account_id: string; account_name?: string; access_key_id: string; findings: string[] }[];
  root_access_keys: { account_id: string; findings: string[] }[];
  count: number;
  exempted_count: number;
  complete: boolean;
  code?: string;
  accounts: { account_id: string; status: string; code?: string }[];
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Oldest first across accounts, ties by account id, user name, key id: the routes' order. */
function expectedAcross(byAccount: Map<string, ExpectedKeyFindings[]>, ids: readonly string[]) {
  return ids
    .flatMap((id) => byAccount.get(id) ?? [])
    .sort(
      (a, b) =>
        a.createdDate.getTime() - b.createdDate.getTime() ||
        compareText(a.accountId, b.accountId) ||
        compareText(a.userName, b.userName) ||
        compareText(a.accessKeyId, b.accessKeyId),
    )
    .map((k) => [k.accountId, k.accessKeyId, k.findings]);
}

describe('GET /v1/iam/access-keys across an organization', () => {
  const org = seedOrganization({ seed: 44, accounts: 3, usersPerAccount: 25, now: NOW, lastUseCases: true });
  const ids = org.accounts.map((a) => a.id);
  const member = seededMemberAccountId(1);
  const expected = expectedFindingsByAccount(org, { now: NOW });
  const dir = mkdtempSync(path.join(tmpdir(), 'org-exemptions-'));
  const file = path.join(dir, 'exemptions.yaml');
  let h: ApiHarness;

  beforeAll(async () => {
    // The same user exists in every account; the entry names one account only.
    writeFileSync(
      file,
      [
        'exemptions:',
        `  - match: { account_id: "${member}", user_name: lastuse-months-both }`,
        '    reason: Member account batch job',
        '    expires_at: 2026-07-01',
        '',
      ].join('\n'),
    );
    const clock = () => new Date(NOW);
    h = await startApiOnEmulator({
      // The report on the spec's clock too: a list-users read at NOW must not look older than the report's.
      emulator: { organization: org, clock: () => NOW.getTime() },
      env: {
        ACCOUNTS_SOURCE: 'organizations',
        ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
        SCAN_CACHE_TTL_SECONDS: '0',
        EXEMPTIONS_FILE: file,
      },
      configure: (b) =>
        b.overrideProvider(IAM_CLOCK).useValue({ now: clock }).overrideProvider(FINDINGS_CLOCK).useValue(clock),
    });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['credential-report', 'list-users'])(
    '%s: every key of every account with its findings, exempted only in the account the entry names',
    async (source) => {
      h.emulator.resetCounters();
      // A scan of this source now (max_age_seconds=0); the next request reads what it stored.
      const res = await fetch(`${h.url}${ROUTE}?source=${source}&include_exempted=true&max_age_seconds=0`);
      const body = (await res.json()) as Body;

      expect(res.status).toBe(200);
      expect(body.complete).toBe(true);
      expect(body.access_keys.map((k) => [k.account_id, k.access_key_id, k.findings])).toEqual(
        expectedAcross(expected, ids),
      );
      expect(body.access_keys.every((k) => typeof k.account_name === 'string')).toBe(true);
      if (source === 'list-users') {
        for (const id of ids) {
          expect(h.emulator.countersFor(id).requests.GetAccessKeyLastUsed).toBe(expected.get(id)!.length);
        }
      }

      const plain = (await (await fetch(`${h.url}${ROUTE}?source=${source}`)).json()) as Body;
      const exemptedIds = expected
        .get(member)!
        .filter((k) => k.userName === 'lastuse-months-both')
        .map((k) => k.accessKeyId);
      expect(plain.exempted_count).toBe(2);
      expect(plain.access_keys.map((k) => k.access_key_id)).toEqual(
        body.access_keys.map((k) => k.access_key_id).filter((id) => !exemptedIds.includes(id)),
      );
    },
  );

  it('narrows by account_id, and counts findings per account on /metrics', async () => {
    const res = await fetch(`${h.url}${ROUTE}?account_id=${member}&include_exempted=true`);
    const body = (await res.json()) as Body;
    expect(body.access_keys.map((k) => [k.account_id, k.access_key_id, k.findings])).toEqual(
      expectedAcross(expected, [member]),
    );

    await fetch(`${h.url}${ROUTE}`);
    const metrics = await scrapeMetrics(h.metricsUrl);
    for (const id of ids) {
      const unused = expected.get(id)!.filter((k) => k.findings.includes('unused')).length;
      expect(seriesValue(metrics, 'access_key_findings', { code: 'unused', account_id: id })).toBe(unused);
    }
    expect(seriesValue(metrics, 'exemptions', { state: 'unmatched' })).toBe(0);
  });
});

describe('GET /v1/iam/access-keys with an account whose AssumeRole is denied', () => {
  const org = seedOrganization({ seed: 45, accounts: 3, usersPerAccount: 10, now: NOW, lastUseCases: true });
  const denied = seededMemberAccountId(2);
  const expected = expectedFindingsByAccount(org, { now: NOW });
  let h: ApiHarness;

  beforeAll(async () => {
    const clock = () => new Date(NOW);
    h = await startApiOnEmulator({
      emulator: { organization: org },
      env: {
        ACCOUNTS_SOURCE: 'organizations',
        ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
        SCAN_CACHE_TTL_SECONDS: '0',
      },
      configure: (b) =>
        b.overrideProvider(IAM_CLOCK).useValue({ now: clock }).overrideProvider(FINDINGS_CLOCK).useValue(clock),
    });
    // Before any scan: a session obtained earlier would stay valid until it expires, as in AWS.
    h.emulator.assumeRoleDenied.add(denied);
  });
  afterAll(() => h?.close());

  it('answers 502 ACCOUNTS_FAILED naming it; allow_partial gives the others, exact', async () => {
    const failed = await fetch(`${h.url}${ROUTE}?finding=old`);
    const failedBody = (await failed.json()) as Body;
    expect(failed.status).toBe(502);
    expect(failedBody.code).toBe('ACCOUNTS_FAILED');
    expect(failedBody.accounts.find((a) => a.account_id === denied)).toMatchObject({
      status: 'failed',
      code: 'ACCOUNT_ACCESS_DENIED',
    });

    const partial = await fetch(`${h.url}${ROUTE}?allow_partial=true`);
    const body = (await partial.json()) as Body;
    expect(partial.status).toBe(200);
    expect(body.complete).toBe(false);
    const others = org.accounts.map((a) => a.id).filter((id) => id !== denied);
    expect(body.access_keys.map((k) => [k.account_id, k.access_key_id, k.findings])).toEqual(
      expectedAcross(expected, others),
    );
    expect(h.emulator.countersFor(denied).totalIamRequests).toBe(0);
  });
});
