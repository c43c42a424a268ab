import { setTimeout as sleep } from 'node:timers/promises';
import { seedAccount, type EmulatedUser } from '@app/iam-emulator';
import { askOldKeys, keyRows, type ErrorBody, type KeyQuery } from './support/api-client';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { candidateUsers, expectedRows, wholeSecondNow } from './support/expected-keys';
import { scrapeMetrics, seriesValue } from './support/prometheus-text';

const HOUR_MS = 3_600_000;
const ALL_KEYS: KeyQuery = { hours: 0, includeInactive: true };

function pick(users: EmulatedUser[], taken: Set<string>, fits: (u: EmulatedUser) => boolean): EmulatedUser {
  const user = users.find((u) => !taken.has(u.userName) && fits(u));
  if (!user) {
    throw new Error('the seeded account lacks a user for this change: pick another seed');
  }
  taken.add(user.userName);
  return user;
}

describe('credential report with warm key ids (SCAN_CACHE_TTL_SECONDS=0)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 31, users: 200, now: seededAt });
  let h: ApiHarness;

  async function ask(query: KeyQuery = ALL_KEYS): Promise<string[]> {
    h.emulator.resetCounters();
    const { status, body } = await askOldKeys(h.url, 'credential-report', query);
    expect(status).toBe(200);
    return keyRows(body);
  }
  const listAccessKeysCalls = () => h.emulator.counters.requests.ListAccessKeys ?? 0;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account }, env: { SCAN_CACHE_TTL_SECONDS: '0' } });
  });
  afterAll(() => h?.close());

  it('costs one ListAccessKeys per candidate cold, one (an access check) warm, and one per changed user after changes', async () => {
    const owners = candidateUsers(account, ALL_KEYS, seededAt);

    const cold = await ask();
    expect(cold).toEqual(expectedRows(account, ALL_KEYS, seededAt));
    expect(listAccessKeysCalls()).toBe(owners.length);

    const warm = await ask();
    expect(warm).toEqual(cold);
    expect(listAccessKeysCalls()).toBe(1); // every id is cached; one user is asked anyway, to check the permission
    expect(h.emulator.counters.requests.GetCredentialReport).toBe(1);
    const metrics = await scrapeMetrics(h.metricsUrl);
    expect(seriesValue(metrics, 'credential_report_key_ids_from_cache_total')).toBe(owners.length - 1);

    // One user of each kind of change; the report shows them only once it is generated again.
    // Not the first candidate in report order: a warm scan asks IAM about that one anyway (the access check).
    const checked = account.listUsers().find((u) => owners.includes(u.userName));
    const users = account.listUsers().filter((u) => u !== checked);
    const taken = new Set<string>();
    const rotated = pick(users, taken, (u) => u.accessKeys.length === 1);
    const lostOne = pick(users, taken, (u) => u.accessKeys.length === 2);
    const gotOne = pick(users, taken, (u) => u.accessKeys.length === 1);
    const deactivated = pick(users, taken, (u) => u.accessKeys.length === 1 && u.accessKeys[0].status === 'Active');
    account.rotateAccessKey(rotated.accessKeys[0].accessKeyId, { createDate: new Date(seededAt.getTime() - HOUR_MS) });
    account.deleteAccessKey(lostOne.accessKeys[1].accessKeyId);
    account.addAccessKey(gotOne.userName, { createDate: new Date(seededAt.getTime() - 2 * HOUR_MS) });
    account.setAccessKeyStatus(deactivated.accessKeys[0].accessKeyId, 'Inactive');

    const stale = await ask();
    expect(stale).toEqual(cold); // same report: same answer, still at the access check's cost only
    expect(listAccessKeysCalls()).toBe(1);

    h.emulator.expireCredentialReport();
    const changed = await ask();
    expect(changed).toEqual(expectedRows(account, ALL_KEYS, seededAt));
    expect(changed).not.toEqual(cold);
    expect(listAccessKeysCalls()).toBe(taken.size);

    const activeOnly: KeyQuery = { hours: 24, includeInactive: false };
    expect(await ask(activeOnly)).toEqual(expectedRows(account, activeOnly, seededAt));
    expect(listAccessKeysCalls()).toBe(1);
  });

  it('notices that ListAccessKeys was denied although every key id is cached (502, not a stale answer)', async () => {
    await ask();
    h.emulator.faults.accessDenied.add('ListAccessKeys');
    try {
      const { status, body } = await askOldKeys<ErrorBody>(h.url, 'credential-report', ALL_KEYS);
      expect(status).toBe(502);
      expect(body).toMatchObject({ code: 'IAM_ACCESS_DENIED', action: 'ListAccessKeys' });
    } finally {
      h.emulator.faults.accessDenied.clear();
    }
  });
});

describe('credential report with warm key ids behind the shared inventory (default TTL path)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 32, users: 150, now: seededAt });
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account }, env: { SCAN_CACHE_TTL_SECONDS: '1' } });
  });
  afterAll(() => h?.close());

  it('reads the inventory again after the TTL for the report calls alone', async () => {
    const query: KeyQuery = { hours: 24, includeInactive: false };
    const first = await askOldKeys(h.url, 'credential-report', query);
    expect(first.status).toBe(200);
    expect(h.emulator.counters.requests.ListAccessKeys).toBe(candidateUsers(account, ALL_KEYS, seededAt).length);

    await sleep(1100); // past the shared scan's TTL, so the next request scans again
    h.emulator.resetCounters();
    const second = await askOldKeys(h.url, 'credential-report', query);

    expect(second.status).toBe(200);
    expect(keyRows(second.body)).toEqual(expectedRows(account, query, seededAt));
    expect(second.body.data_read_at).toBe(first.body.data_read_at);
    expect(h.emulator.counters.requests).toEqual({
      GenerateCredentialReport: 1,
      GetCredentialReport: 1,
      ListAccessKeys: 1, // the access check
    });
  });
});
