import {
  DEFAULT_ACCOUNT_ID,
  DEFAULT_MEMBER_ROLE_NAME,
  EMULATED_ROOT_ID,
  SEEDED_OUS,
  expectedRootKeys,
  seedOrganization,
  seededMemberAccountId,
  type EmulatedOrganization,
} from '@app/iam-emulator';
import {
  accountKeyRows,
  askOldKeys,
  keyRows,
  type AccountJson,
  type ErrorBody,
  type KeyQuery,
  type OldKeysBody,
  type Route,
} from './support/api-client';
import { killSpawned, spawnApi, startApiOnEmulator, type ApiHarness, type SpawnedApi } from './support/api-harness';
import { expectedRows, wholeSecondNow } from './support/expected-keys';
import { scrapeMetrics, seriesValue } from './support/prometheus-text';

const SLOW = 60_000;
const ROUTES: Route[] = ['list-users', 'credential-report'];
const ORG_ENV = {
  ACCOUNTS_SOURCE: 'organizations',
  ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
  SCAN_CACHE_TTL_SECONDS: '0',
};
const q: KeyQuery = { hours: 720, includeInactive: true };

const accountOf = (org: EmulatedOrganization, id: string) => {
  const found = org.accounts.find((a) => a.id === id);
  if (!found) {
    throw new Error(`no account ${id}`);
  }
  return found;
};

/** Every key of every answered account, in the order the API must give them (oldest first, then account id). */
function expectedAll(org: EmulatedOrganization, ids: string[], seededAt: Date, query: KeyQuery = q): string[] {
  return ids
    .flatMap((id) =>
      expectedRows(accountOf(org, id).account, query, seededAt).map((row) => ({ id, row, at: row.split(' ')[3] })),
    )
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((k) => k.row);
}

const statusOf = (accounts: AccountJson[]) => accounts.map((a) => [a.account_id, a.status]);

describe('every account of an organization (ACCOUNTS_SOURCE=organizations)', () => {
  const seededAt = wholeSecondNow();
  // The management account and 6 members over nested OUs (the last one SUSPENDED), 2 accounts per
  // ListAccounts page, so the account list itself takes four pages.
  const org = seedOrganization({
    seed: 31,
    accounts: 7,
    usersPerAccount: 15,
    nestedOus: true,
    suspended: 1,
    pageSize: 2,
    rootAccessKeys: 1,
    now: seededAt,
  });
  const active = org.accounts.filter((a) => (a.status ?? 'ACTIVE') === 'ACTIVE').map((a) => a.id);
  const suspended = seededMemberAccountId(6);
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { organization: org }, env: ORG_ENV });
  });
  afterAll(() => h?.close());
  afterEach(() => {
    h.emulator.assumeRoleDenied.clear();
    h.emulator.resetCounters();
  });

  it.each(ROUTES)(
    '%s: exact keys of each ACTIVE account, each tagged with its account, the suspended one skipped',
    async (route) => {
      const { status, body } = await askOldKeys(h.url, route, q);

      expect(status).toBe(200);
      expect(body.complete).toBe(true);
      expect(keyRows(body)).toEqual(expectedAll(org, active, seededAt));
      for (const id of active) {
        expect(accountKeyRows(body, id)).toEqual(expectedRows(accountOf(org, id).account, q, seededAt));
      }
      for (const key of body.old_access_keys) {
        expect(key.account_name).toBe(accountOf(org, key.account_id).name);
      }
      expect(statusOf(body.accounts)).toEqual([...active.map((id) => [id, 'ok']), [suspended, 'skipped']]);
      expect(body.accounts.at(-1)).toEqual({
        account_id: suspended,
        account_name: 'member-006',
        status: 'skipped',
        reason: 'SUSPENDED',
      });
      for (const account of body.accounts.filter((a) => a.status === 'ok')) {
        expect(account.key_count).toBe(accountKeyRows(body, account.account_id).length);
        expect(account.data_read_at).toEqual(expect.any(String));
        expect(account.report_generated_at !== undefined).toBe(route === 'credential-report');
      }
      // The top-level read time is the oldest account's.
      const readAt = body.accounts.flatMap((a) => (a.data_read_at ? [Date.parse(a.data_read_at)] : []));
      expect(Date.parse(body.data_read_at)).toBe(Math.min(...readAt));
      // Four ListAccounts pages, asked by the management account; the suspended account was never entered.
      expect(h.emulator.countersFor(DEFAULT_ACCOUNT_ID).requests.ListAccounts).toBe(4);
      expect(h.emulator.countersFor(suspended).totalIamRequests).toBe(0);
      if (route === 'credential-report') {
        for (const id of active) {
          const roots = body.root_access_keys.filter((k) => k.account_id === id);
          expect(roots.map((k) => k.last_rotated)).toEqual(
            expectedRootKeys(accountOf(org, id).account, { ...q, now: seededAt }).map((k) =>
              k.lastRotated.toISOString(),
            ),
          );
        }
      }
    },
    SLOW,
  );

  it.each(ROUTES)(
    '%s with account_id: only those accounts, the others not touched; an id outside them is a 400 naming it',
    async (route) => {
      const asked = [seededMemberAccountId(3), seededMemberAccountId(1)];
      const { status, body } = await askOldKeys(h.url, route, { ...q, accountIds: asked });

      expect(status).toBe(200);
      expect(statusOf(body.accounts)).toEqual([
        [seededMemberAccountId(1), 'ok'],
        [seededMemberAccountId(3), 'ok'],
      ]);
      expect(keyRows(body)).toEqual(expectedAll(org, [...asked].sort(), seededAt));
      expect(h.emulator.countersFor(seededMemberAccountId(2)).totalIamRequests).toBe(0);
      expect(h.emulator.countersFor(DEFAULT_ACCOUNT_ID).totalIamRequests).toBe(0);

      const unknown = await askOldKeys<ErrorBody>(h.url, route, { ...q, accountIds: ['999999999999'] });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'ACCOUNT_NOT_CONFIGURED',
        message: 'account 999999999999 is not among the configured accounts',
        fields: [{ field: 'account_id', messages: ['account 999999999999 is not among the configured accounts'] }],
      });
    },
    SLOW,
  );
});

describe('an account whose AssumeRole is denied', () => {
  const seededAt = wholeSecondNow();
  const org = seedOrganization({ seed: 36, accounts: 4, usersPerAccount: 10, now: seededAt });
  const active = org.accounts.map((a) => a.id);
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { organization: org }, env: ORG_ENV });
    // Before any scan: a session obtained earlier would stay valid until it expires, as in AWS.
    h.emulator.assumeRoleDenied.add(seededMemberAccountId(2));
  });
  afterAll(() => h?.close());

  it.each(ROUTES)(
    '%s: an account whose AssumeRole is denied is a 502 ACCOUNTS_FAILED naming it; allow_partial gives the others, exact',
    async (route) => {
      const denied = seededMemberAccountId(2);

      const failed = await askOldKeys<ErrorBody>(h.url, route, q);
      expect(failed.status).toBe(502);
      expect(failed.body).toMatchObject({
        statusCode: 502,
        error: 'Bad Gateway',
        code: 'ACCOUNTS_FAILED',
        message: `1 of ${active.length} accounts could not be scanned (${denied}); see accounts, or ask with allow_partial=true for the others`,
      });
      const deniedEntry = {
        account_id: denied,
        account_name: 'member-002',
        status: 'failed',
        code: 'ACCOUNT_ACCESS_DENIED',
        action: 'AssumeRole',
        message: `AssumeRole of ${DEFAULT_MEMBER_ROLE_NAME} in account ${denied} was denied`,
      };
      expect(failed.body.accounts?.find((a) => a.account_id === denied)).toEqual(deniedEntry);
      expect(failed.body.accounts?.filter((a) => a.status === 'ok')).toHaveLength(active.length - 1);

      const partial = await askOldKeys(h.url, route, { ...q, allowPartial: true });
      expect(partial.status).toBe(200);
      expect(partial.body.complete).toBe(false);
      expect(partial.body.accounts.find((a) => a.account_id === denied)).toEqual(deniedEntry);
      const others = active.filter((id) => id !== denied);
      expect(keyRows(partial.body)).toEqual(expectedAll(org, others, seededAt));
      expect(h.emulator.countersFor(denied).totalIamRequests).toBe(0);

      const metrics = await scrapeMetrics(h.metricsUrl);
      expect(seriesValue(metrics, 'accounts', { status: 'failed' })).toBe(1);
      expect(seriesValue(metrics, 'accounts', { status: 'ok' })).toBe(active.length - 1);
      expect(seriesValue(metrics, 'accounts', { status: 'skipped' })).toBe(0);
      expect(
        seriesValue(metrics, 'account_assume_role_failures_total', {
          account_id: denied,
          code: 'ACCOUNT_ACCESS_DENIED',
        }),
      ).toBe(route === 'list-users' ? 2 : 4);
    },
    SLOW,
  );
});

describe('ORG_INCLUDE_OUS and ORG_EXCLUDE_ACCOUNTS over nested OUs', () => {
  const seededAt = wholeSecondNow();
  const org = seedOrganization({
    seed: 32,
    accounts: 11,
    usersPerAccount: 6,
    nestedOus: true,
    pageSize: 3,
    now: seededAt,
  });
  const workloads = SEEDED_OUS[0].id;
  /** Every OU at or below the Workloads OU: the accounts an include of it must reach. */
  const under = new Set([workloads, ...SEEDED_OUS.filter((ou) => ou.parentId === workloads).map((ou) => ou.id)]);
  const included = org.accounts.filter((a) => under.has(a.parentId ?? EMULATED_ROOT_ID)).map((a) => a.id);
  const nested = org.accounts.find((a) => a.parentId !== workloads && under.has(a.parentId ?? ''));
  let h: ApiHarness;

  beforeAll(async () => {
    expect(nested).toBeDefined();
    h = await startApiOnEmulator({
      emulator: { organization: org },
      env: { ...ORG_ENV, ORG_INCLUDE_OUS: workloads, ORG_EXCLUDE_ACCOUNTS: nested!.id },
    });
  });
  afterAll(() => h?.close());

  it('scans the accounts of the OU and of the OUs nested in it, minus the excluded one', async () => {
    const { status, body } = await askOldKeys(h.url, 'list-users', q);

    expect(status).toBe(200);
    const expectedIds = included.filter((id) => id !== nested!.id).sort();
    // Accounts of the root and of the sibling OU, and the excluded one, are not configured at all.
    expect(body.accounts.map((a) => a.account_id)).toEqual(expectedIds);
    expect(expectedIds.length).toBeGreaterThanOrEqual(3);
    expect(keyRows(body)).toEqual(expectedAll(org, expectedIds, seededAt));
    expect(h.emulator.countersFor(DEFAULT_ACCOUNT_ID).requests.ListAccounts).toBeUndefined();
    expect(h.emulator.countersFor(DEFAULT_ACCOUNT_ID).requests.ListChildren).toBe(under.size);

    const excluded = await askOldKeys<ErrorBody>(h.url, 'list-users', { ...q, accountIds: [nested!.id] });
    expect(excluded.status).toBe(400);
    expect(excluded.body.code).toBe('ACCOUNT_NOT_CONFIGURED');
  });
});

describe('each account on its own IAM budget', () => {
  const seededAt = wholeSecondNow();
  const org = seedOrganization({ seed: 33, accounts: 3, usersPerAccount: 40, now: seededAt });
  const busy = seededMemberAccountId(1);
  accountOf(org, busy).rateLimit = { ratePerSecond: 40, burst: 3 };
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { organization: org, latencyMs: [2, 6] },
      env: { ...ORG_ENV, IAM_CONCURRENCY: '6', ACCOUNT_CONCURRENCY: '3', IAM_THROTTLE_MAX_WAIT_MS: '20000' },
    });
  });
  afterAll(() => h?.close());

  it('a throttled account is paced alone: the others are never throttled and their pace never cut', async () => {
    const { status, body } = await askOldKeys(h.url, 'list-users', { hours: 0, includeInactive: true });

    expect(status).toBe(200);
    const all = org.accounts.map((a) => a.id);
    expect(keyRows(body)).toEqual(expectedAll(org, all, seededAt, { hours: 0, includeInactive: true }));
    for (const id of all) {
      expect(accountKeyRows(body, id)).toEqual(
        expectedRows(accountOf(org, id).account, { hours: 0, includeInactive: true }, seededAt),
      );
    }
    const throttles = (id: string) => Object.values(h.emulator.countersFor(id).throttled).reduce((a, b) => a + b, 0);
    expect(throttles(busy)).toBeGreaterThan(0);
    const metrics = await scrapeMetrics(h.metricsUrl);
    expect(seriesValue(metrics, 'iam_rate_governor_decreases', { account_id: busy })).toBeGreaterThan(0);
    expect(
      seriesValue(metrics, 'iam_calls_total', { action: 'ListAccessKeys', outcome: 'throttled', account_id: busy }),
    ).toBe(h.emulator.countersFor(busy).throttled.ListAccessKeys);
    for (const calm of all.filter((id) => id !== busy)) {
      expect(throttles(calm)).toBe(0);
      expect(seriesValue(metrics, 'iam_rate_governor_decreases', { account_id: calm })).toBe(0);
      expect(seriesValue(metrics, 'iam_rate_governor_paced', { account_id: calm })).toBe(0);
    }
  });
});

describe('AssumeRole sessions that expire during a scan', () => {
  const seededAt = wholeSecondNow();
  const org = seedOrganization({ seed: 34, accounts: 2, usersPerAccount: 50, now: seededAt });
  const member = seededMemberAccountId(1);
  let h: ApiHarness;

  beforeAll(async () => {
    // Sessions live 2 s and a member's scan takes about 3 s (50 users, one call at a time, 40 ms each).
    h = await startApiOnEmulator({
      emulator: { organization: org, sessionTtlSeconds: 2, latencyMs: 40 },
      env: { ...ORG_ENV, IAM_CONCURRENCY: '1' },
    });
  });
  afterAll(() => h?.close());

  it(
    'are refreshed before they expire: the scan answers exactly and no call is refused',
    async () => {
      const started = Date.now();
      const { status, body } = await askOldKeys(h.url, 'list-users', { hours: 0, includeInactive: true });

      expect(status).toBe(200);
      expect(Date.now() - started).toBeGreaterThan(2_000); // outlived the first session
      expect(accountKeyRows(body, member)).toEqual(
        expectedRows(accountOf(org, member).account, { hours: 0, includeInactive: true }, seededAt),
      );
      expect(h.emulator.countersFor(member).requests.AssumeRole).toBeGreaterThanOrEqual(2);
      expect(h.emulator.counters.errors).toEqual({});
    },
    SLOW,
  );
});

describe('self mode (the default) answers in the same shape', () => {
  const seededAt = wholeSecondNow();
  const org = seedOrganization({ seed: 35, accounts: 1, usersPerAccount: 20, now: seededAt });
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account: org.accounts[0].account } });
  });
  afterAll(() => h?.close());

  it.each(ROUTES)('%s: every key carries the own account id, and the one account is listed', async (route) => {
    const { status, body } = await askOldKeys<OldKeysBody>(h.url, route, q);

    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(expectedRows(org.accounts[0].account, q, seededAt));
    expect(new Set(body.old_access_keys.map((k) => k.account_id))).toEqual(new Set([DEFAULT_ACCOUNT_ID]));
    expect(body.old_access_keys.every((k) => k.account_name === undefined)).toBe(true);
    expect(body).toMatchObject({ complete: true, accounts: [{ account_id: DEFAULT_ACCOUNT_ID, status: 'ok' }] });
    expect(h.emulator.counters.requests.AssumeRole).toBeUndefined();
  });
});

describe('the accounts configuration is checked at boot', () => {
  const bad: [string, Record<string, string>, string][] = [
    ['list without ids', { ACCOUNTS_SOURCE: 'list', ACCOUNT_ROLE_NAME: 'R' }, 'ACCOUNT_IDS (unset): required'],
    ['a short id', { ACCOUNTS_SOURCE: 'list', ACCOUNT_IDS: '12345', ACCOUNT_ROLE_NAME: 'R' }, 'ACCOUNT_IDS'],
    ['no role', { ACCOUNTS_SOURCE: 'organizations' }, 'ACCOUNT_ROLE_NAME (unset)'],
    ['a bad OU id', { ...ORG_ENV, ORG_INCLUDE_OUS: 'ou-x' }, 'ORG_INCLUDE_OUS'],
    [
      'a secret ExternalId of the wrong shape',
      { ...ORG_ENV, ACCOUNT_ROLE_EXTERNAL_ID: 'x y' },
      'ACCOUNT_ROLE_EXTERNAL_ID (value hidden)',
    ],
  ];
  const spawned: SpawnedApi[] = [];
  afterAll(() => Promise.all(spawned.map(killSpawned)));

  it.each(bad)(
    '%s stops the API with a message naming the variable',
    async (_label, env, named) => {
      const api = await spawnApi({ AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9', ...env });
      spawned.push(api);
      expect(await api.exited).toBe(1);
      expect(api.output()).toContain(named);
      expect(api.output()).not.toContain('Listening on');
      expect(api.output()).not.toContain('x y');
    },
    SLOW,
  );
});
