import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FINDINGS_CLOCK, FINDING_CODES, type FindingCode } from '@app/findings';
import { IAM_CLOCK } from '@app/iam';
import { seedAccount, type IamAccount } from '@app/iam-emulator';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import {
  expectedFindings,
  expectedRootFindings,
  keyIdsByFinding,
  type ExpectedKeyFindings,
} from './support/expected-findings';

const ROUTE = '/v1/iam/access-keys';
const NOW = new Date('2026-06-15T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface KeyJson {
  account_id: string;
  user_name: string;
  access_key_id: string;
  status: string;
  created_date: string;
  age_hours: number;
  last_used_date: string | null;
  last_used_service: string | null;
  last_used_region: string | null;
  findings: FindingCode[];
  exemption: null | {
    source: 'file' | 'tag';
    reason: string;
    expires_at: string;
    ticket: string | null;
    approved_by: string | null;
    line: number | null;
  };
}

interface Body {
  access_keys: KeyJson[];
  root_access_keys: (Omit<KeyJson, 'user_name' | 'access_key_id' | 'exemption'> & { slot: number })[];
  count: number;
  exempted_count: number;
  source: string;
  complete: boolean;
  accounts: { account_id: string; status: string }[];
  statusCode?: number;
  code?: string;
  fields?: { field: string; messages: string[] }[];
}

/** A clock the spec moves: the scan, the findings and the exemptions all read it. */
class MovableClock {
  ms = NOW.getTime();
  now = (): Date => new Date(this.ms);
}

async function start(account: IamAccount, clock: MovableClock, env: Record<string, string> = {}): Promise<ApiHarness> {
  return startApiOnEmulator({
    emulator: { account },
    // Every request scans afresh, so a test sees exactly what it changed in the emulator.
    env: { SCAN_CACHE_TTL_SECONDS: '0', ...env },
    configure: (b) =>
      b.overrideProvider(IAM_CLOCK).useValue({ now: clock.now }).overrideProvider(FINDINGS_CLOCK).useValue(clock.now),
  });
}

/** Each ask scans afresh (max_age_seconds=0), so a test sees exactly what it changed in the emulator. */
async function ask(h: ApiHarness, query = ''): Promise<{ status: number; body: Body }> {
  const fresh = query.includes('max_age_seconds=') ? query : [query, 'max_age_seconds=0'].filter(Boolean).join('&');
  const res = await fetch(`${h.url}${ROUTE}?${fresh}`);
  return { status: res.status, body: (await res.json()) as Body };
}

function rowOf(k: ExpectedKeyFindings) {
  return {
    account_id: k.accountId,
    user_name: k.userName,
    access_key_id: k.accessKeyId,
    status: k.status,
    created_date: k.createdDate.toISOString(),
    age_hours: k.ageHours,
    last_used_date: k.lastUsedDate ? k.lastUsedDate.toISOString() : null,
    last_used_service: k.lastUsedService,
    last_used_region: k.lastUsedRegion,
    findings: k.findings,
    exemption: null,
  };
}

const idsOf = (body: Body) => body.access_keys.map((k) => k.access_key_id);
const byUser = (body: Body, userName: string) =>
  body.access_keys
    .filter((k) => k.user_name === userName)
    .map((k) => ({ status: k.status, findings: k.findings, last_used: k.last_used_date }));

function seeded(): IamAccount {
  return seedAccount({ seed: 42, users: 150, now: NOW, rootAccessKeys: 2, lastUseCases: true });
}

describe('GET /v1/iam/access-keys: findings from both sources', () => {
  const clock = new MovableClock();
  const account = seeded();
  let h: ApiHarness;
  const expected = expectedFindings(account, { now: NOW });

  beforeAll(async () => {
    h = await start(account, clock);
  });
  afterAll(() => h?.close());

  it('answers every key with last use and findings from the credential report, and every root key', async () => {
    const { status, body } = await ask(h);

    expect(status).toBe(200);
    expect(body.access_keys).toEqual(expected.map(rowOf));
    expect(body).toMatchObject({ count: expected.length, exempted_count: 0, source: 'credential-report' });
    expect(body.complete).toBe(true);
    expect(body.root_access_keys).toEqual(
      expectedRootFindings(account, { now: NOW }).map((k) => ({
        account_id: k.accountId,
        slot: k.slot,
        status: k.status,
        created_date: k.createdDate.toISOString(),
        age_hours: k.ageHours,
        last_used_date: k.lastUsedDate ? k.lastUsedDate.toISOString() : null,
        last_used_service: k.lastUsedService,
        last_used_region: k.lastUsedRegion,
        findings: k.findings,
      })),
    );
    // Last use came with the report: no GetAccessKeyLastUsed.
    expect(h.emulator.counters.requests.GetAccessKeyLastUsed ?? 0).toBe(0);
  });

  it('answers the same keys from a list-users scan, one GetAccessKeyLastUsed per key, and no root keys', async () => {
    // A store of its own: the report's data (read on the emulator's real clock) would be newer than this
    // scan's (on the spec's frozen clock), and an older read never replaces a newer one.
    const own = await start(account, clock);
    try {
      const { status, body } = await ask(own, 'source=list-users');

      expect(status).toBe(200);
      expect(body.access_keys).toEqual(expected.map(rowOf));
      expect(body.root_access_keys).toEqual([]);
      expect(body.source).toBe('list-users');
      expect(own.emulator.counters.requests.GetAccessKeyLastUsed).toBe(expected.length);
    } finally {
      await own.close();
    }
  });

  it('reads tags only for users with findings', async () => {
    h.emulator.resetCounters();
    await ask(h);
    const withFindings = new Set(expected.filter((k) => k.findings.length > 0).map((k) => k.userName));
    expect(h.emulator.counters.requests.ListUserTags).toBe(withFindings.size);
  });

  it('leaves GetAccessKeyLastUsed out of the two original routes', async () => {
    h.emulator.resetCounters();
    const live = await fetch(`${h.url}/v1/iam/old-access-keys/list-users?hours=0&include_inactive=true`);
    const report = await fetch(`${h.url}/v1/iam/old-access-keys/credential-report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hours: 0, include_inactive: true }),
    });

    expect([live.status, report.status]).toEqual([200, 200]);
    expect(h.emulator.counters.requests.GetAccessKeyLastUsed ?? 0).toBe(0);
  });

  it.each(FINDING_CODES)('gives the exact key set for finding=%s from both sources', async (code) => {
    const want = keyIdsByFinding(expected)[code];
    expect(want.length).toBeGreaterThan(0);

    const [report, live] = await Promise.all([ask(h, `finding=${code}`), ask(h, `finding=${code}&source=list-users`)]);

    expect(idsOf(report.body)).toEqual(want);
    expect(idsOf(live.body)).toEqual(want);
  });

  it('takes several findings as "any of them"', async () => {
    const sets = keyIdsByFinding(expected);
    const { body } = await ask(h, 'finding=unused&finding=never_used');
    const want = expected
      .filter((k) => sets.unused.includes(k.accessKeyId) || sets.never_used.includes(k.accessKeyId))
      .map((k) => k.accessKeyId);
    expect(idsOf(body)).toEqual(want);
  });

  it('gives an unused key 2 its finding beside an Inactive key 1, by key id', async () => {
    const { body } = await ask(h);
    expect(byUser(body, 'lastuse-inactive-then-unused')).toEqual([
      { status: 'Inactive', findings: [], last_used: new Date(NOW.getTime() - 84 * DAY).toISOString() },
      { status: 'Active', findings: ['unused'], last_used: new Date(NOW.getTime() - 60 * DAY).toISOString() },
    ]);
  });

  it('judges a never-used key by its grace: inside, at and past it, and with a per-request grace', async () => {
    const { body } = await ask(h);
    expect(byUser(body, 'lastuse-never-in-grace')).toEqual([{ status: 'Active', findings: [], last_used: null }]);
    expect(byUser(body, 'lastuse-never-at-grace')[0].findings).toEqual(['never_used']);
    expect(byUser(body, 'lastuse-never-past-grace')[0].findings).toEqual(['never_used']);

    const strict = await ask(h, 'never_used_grace_hours=168');
    expect(byUser(strict.body, 'lastuse-never-in-grace')[0].findings).toEqual(['never_used']);
    const lenient = await ask(h, 'never_used_grace_hours=1201');
    expect(byUser(lenient.body, 'lastuse-never-past-grace')[0].findings).toEqual([]);
  });

  it('follows older_than_hours and unused_days for this request only', async () => {
    const over = await ask(h, 'older_than_hours=1&unused_days=61&finding=old');
    expect(over.body.count).toBe(expected.filter((k) => k.ageHours >= 1).length);
    expect(byUser(over.body, 'lastuse-inactive-then-unused').map((k) => k.findings)).toEqual([['old'], ['old']]);
    expect(over.body).toMatchObject({ count: over.body.access_keys.length });
    const plain = await ask(h, 'finding=old');
    expect(idsOf(plain.body)).toEqual(keyIdsByFinding(expected).old);
  });

  it('narrows by status and keeps every root key whatever the filters', async () => {
    const { body } = await ask(h, 'status=Inactive&finding=two_active');
    expect(body.access_keys).toEqual([]);
    expect(body.root_access_keys).toHaveLength(2);
    const inactive = await ask(h, 'status=Inactive');
    expect(idsOf(inactive.body)).toEqual(expected.filter((k) => k.status === 'Inactive').map((k) => k.accessKeyId));
  });

  it.each([
    ['finding=stale', 'finding'],
    ['status=active', 'status'],
    ['older_than_hours=0', 'older_than_hours'],
    ['unused_days=1.5', 'unused_days'],
    ['never_used_grace_hours=-1', 'never_used_grace_hours'],
    ['source=live', 'source'],
    ['include_exempted=yes', 'include_exempted'],
    ['account_id=12', 'account_id'],
    ['hours=5', 'hours'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const { status, body } = await ask(h, query);
    expect(status).toBe(400);
    expect(body.fields?.map((f) => f.field)).toEqual([field]);
  });
});

describe('GET /v1/iam/access-keys: a key rotated since the report', () => {
  const clock = new MovableClock();
  const account = seeded();
  let h: ApiHarness;

  beforeAll(async () => {
    h = await start(account, clock);
  });
  afterAll(() => h?.close());

  it('never gives the new key the old key\u2019s last use, and asks IAM for that key only', async () => {
    // The report is generated now, with no candidates, so no key id is cached before the rotation.
    const first = await fetch(`${h.url}/v1/iam/old-access-keys/credential-report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hours: 876000 }),
    });
    expect(first.status).toBe(200);
    const user = account.requireUser('lastuse-months-both');
    const [oldKey, keptKey] = user.accessKeys;
    const fresh = account.rotateAccessKey(oldKey.accessKeyId, { createDate: new Date(NOW.getTime() - HOUR) });
    h.emulator.resetCounters();

    const { body } = await ask(h);

    expect(h.emulator.counters.requests.GetCredentialReport).toBe(1);
    expect(h.emulator.counters.requests.GetAccessKeyLastUsed).toBe(1);
    expect(
      body.access_keys
        .filter((k) => k.user_name === 'lastuse-months-both')
        .map((k) => [k.access_key_id, k.last_used_date, k.findings]),
    ).toEqual([
      [keptKey.accessKeyId, keptKey.lastUsed!.date.toISOString(), ['unused', 'two_active']],
      [fresh.accessKeyId, null, ['two_active']],
    ]);
    expect(idsOf(body)).not.toContain(oldKey.accessKeyId);
  });
});

describe('GET /v1/iam/access-keys: exemptions', () => {
  const clock = new MovableClock();
  const account = seeded();
  const dir = mkdtempSync(path.join(tmpdir(), 'exemptions-'));
  const file = path.join(dir, 'exemptions.yaml');
  const expected = expectedFindings(account, { now: NOW });
  const expiry = new Date(NOW.getTime() + 2 * HOUR);
  let h: ApiHarness;

  beforeAll(async () => {
    writeFileSync(
      file,
      [
        'exemptions:',
        '  - match: { user_name: lastuse-months-both }',
        '    reason: Batch job retired next sprint',
        `    expires_at: ${expiry.toISOString()}`,
        '    ticket: SEC-1',
        '    approved_by: security-team',
        '  - match: { user_name: lastuse-inactive-then-unused }',
        '    findings: [old]',
        '    reason: Covers a finding the key does not have',
        '    expires_at: 2026-07-01',
        '  - match: { user_name: nobody-at-all }',
        '    reason: Left over from a deleted user',
        '    expires_at: 2026-07-01',
        '',
      ].join('\n'),
    );
    account.setUserTags('lastuse-never-past-grace', {
      'iam-key-monitor:exempt-until': '2026-07-01',
      'iam-key-monitor:exempt-reason': 'Break-glass key, kept unused on purpose',
    });
    h = await start(account, clock, { EXEMPTIONS_FILE: file });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    clock.ms = NOW.getTime();
  });

  const exempted = ['lastuse-months-both', 'lastuse-never-past-grace'];

  it('leaves exempted keys out and counts them; include_exempted lists them with their exemption', async () => {
    const { body } = await ask(h);
    const exemptedIds = expected.filter((k) => exempted.includes(k.userName)).map((k) => k.accessKeyId);
    expect(exemptedIds).toHaveLength(3);
    expect(idsOf(body)).toEqual(expected.map((k) => k.accessKeyId).filter((id) => !exemptedIds.includes(id)));
    expect(body.exempted_count).toBe(3);

    const all = await ask(h, 'include_exempted=true');
    expect(idsOf(all.body)).toEqual(expected.map((k) => k.accessKeyId));
    expect(all.body.exempted_count).toBe(0);
    const shown = all.body.access_keys.filter((k) => k.exemption !== null);
    expect(shown.map((k) => [k.user_name, k.exemption])).toEqual([
      [
        'lastuse-months-both',
        {
          source: 'file',
          match: { user_name: 'lastuse-months-both' },
          findings: 'all',
          reason: 'Batch job retired next sprint',
          expires_at: expiry.toISOString(),
          ticket: 'SEC-1',
          approved_by: 'security-team',
          line: 2,
        },
      ],
      ['lastuse-months-both', expect.objectContaining({ source: 'file', reason: 'Batch job retired next sprint' })],
      [
        'lastuse-never-past-grace',
        {
          source: 'tag',
          match: { account_id: account.accountId, user_name: 'lastuse-never-past-grace' },
          findings: 'all',
          reason: 'Break-glass key, kept unused on purpose',
          expires_at: '2026-07-01T00:00:00.000Z',
          ticket: null,
          approved_by: null,
          line: null,
        },
      ],
    ]);
  });

  it('stops applying an exemption at the very instant it expires', async () => {
    clock.ms = expiry.getTime() - 1;
    const before = await ask(h, 'finding=two_active');
    expect(before.body.access_keys.some((k) => k.user_name === 'lastuse-months-both')).toBe(false);

    clock.ms = expiry.getTime();
    const at = await ask(h, 'finding=two_active');
    expect(at.body.access_keys.filter((k) => k.user_name === 'lastuse-months-both').map((k) => k.exemption)).toEqual([
      null,
      null,
    ]);
  });

  it('ignores a tag exemption beyond EXEMPTION_MAX_DAYS, and one whose tags cannot be read, and still answers', async () => {
    const user = 'lastuse-inactive-then-never';
    const neverKey = expected.find((k) => k.userName === user && k.findings.includes('never_used'))!.accessKeyId;
    account.setUserTags(user, {
      'iam-key-monitor:exempt-until': '2027-01-01',
      'iam-key-monitor:exempt-reason': 'Too far ahead',
    });
    try {
      const tooFar = await ask(h);
      expect(idsOf(tooFar.body)).toContain(neverKey);

      account.setUserTags(user, {
        'iam-key-monitor:exempt-until': '2026-07-01',
        'iam-key-monitor:exempt-reason': 'Within the maximum',
      });
      const within = await ask(h);
      expect(idsOf(within.body)).not.toContain(neverKey);

      h.emulator.faults.accessDenied.add('ListUserTags');
      const denied = await ask(h);
      expect(denied.status).toBe(200);
      // Without its tags the user has no tag exemption; the file's entries still apply.
      expect(idsOf(denied.body)).toContain(neverKey);
      expect(denied.body.exempted_count).toBe(2);
    } finally {
      h.emulator.faults.accessDenied.delete('ListUserTags');
      account.setUserTags(user, {});
    }
  });

  it('combines filters: finding, status, account_id and include_exempted', async () => {
    const query = `finding=unused&finding=never_used&status=Active&account_id=${account.accountId}`;
    const { body } = await ask(h, query);
    const want = expected.filter(
      (k) =>
        k.status === 'Active' &&
        (k.findings.includes('unused') || k.findings.includes('never_used')) &&
        !exempted.includes(k.userName),
    );
    expect(idsOf(body)).toEqual(want.map((k) => k.accessKeyId));
    expect(body.exempted_count).toBe(3);

    const other = await ask(h, 'account_id=999999999999');
    expect(other.status).toBe(400);
    expect(other.body.code).toBe('ACCOUNT_NOT_CONFIGURED');
  });

  it('counts exemptions on /metrics: active, expiring, expired, unmatched; findings by code and account', async () => {
    await ask(h);
    const text = await (await fetch(`${h.metricsUrl}/metrics`)).text();
    // The entry naming a user without that finding and the one naming nobody matched nothing.
    expect(text).toContain('exemptions{state="unmatched"} 2');
    expect(text).toContain('exemptions{state="active"} 4');
    expect(text).toContain('exemptions{state="expiring_14d"} 1');
    expect(text).toContain('exemptions{state="expired"} 0');
    const sets = keyIdsByFinding(expected);
    for (const code of FINDING_CODES) {
      expect(text).toContain(
        `access_key_findings{code="${code}",account_id="${account.accountId}"} ${sets[code].length}`,
      );
    }
  });
});

describe('GET /v1/iam/access-keys: a bad exemptions file stops boot', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'exemptions-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the line and field of each problem', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'exemptions:',
        '  - match: { user_name: a }',
        '    expires_at: 2026-07-01',
        '  - match: { user_name: b }',
        '    reason: ok',
        '    expires_at: 2030-01-01',
        '    colour: blue',
        '',
      ].join('\n'),
    );
    const clock = new MovableClock();
    const failure = await start(seedAccount({ seed: 1, users: 1, now: NOW }), clock, { EXEMPTIONS_FILE: file }).then(
      async (h) => {
        await h.close();
        return undefined;
      },
      (err: unknown) => err as Error,
    );

    expect(failure?.name).toBe('ExemptionsFileError');
    const where = `EXEMPTIONS_FILE ${file}`;
    expect(failure?.message).toContain(`${where} line 2: exemptions[0].reason: required`);
    expect(failure?.message).toContain(`${where} line 6: exemptions[1].expires_at: 2030-01-01 is more than 180 days`);
    expect(failure?.message).toContain(`${where} line 7: exemptions[1].colour: unknown field`);
  });
});
