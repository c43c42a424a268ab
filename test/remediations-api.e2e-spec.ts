import { startApiOnEmulator } from './support/api-harness';
import { DAY_MS, RemediationHarness } from './support/remediation-harness';

const NOW = new Date('2026-11-24T10:00:00.000Z');

interface Page {
  remediations: Array<{ access_key_id: string; outcome: string; reason: string; user_name: string; run_id: number }>;
  next_cursor: string | null;
}

/** What a remediation run recorded, as GET /v1/remediations lists it over HTTP from the same store. */
describe('GET /v1/remediations (e2e: a run on the emulator, then the route over HTTP)', () => {
  const h = new RemediationHarness(new Date(NOW));
  h.withApi = true;

  beforeAll(async () => {
    await h.start({ REMEDIATION_MAX_PER_RUN: '5' });
    await h.expiredKey('alice', 'AKIAREMEDIATEAPI0001', { finalDaysAgo: 30, expiredDaysAgo: 28 });
    await h.expiredKey('bob', 'AKIAREMEDIATEAPI0002', { expiredDaysAgo: 28 });
    await h.expiredKey('carol', 'AKIAREMEDIATEAPI0003', { finalDaysAgo: 2, expiredDaysAgo: 1 });
    await h.run();
    h.now = new Date(NOW.getTime() + DAY_MS);
    await h.run();
  }, 60_000);

  afterAll(() => h.stop());

  const get = async (query: string): Promise<{ status: number; body: Page & { code?: string } }> => {
    const res = await fetch(`${h.apiUrl}/v1/remediations${query}`);
    return { status: res.status, body: (await res.json()) as Page & { code?: string } };
  };

  it('lists every decision newest first, with its outcome and reason', async () => {
    const { status, body } = await get('');

    expect(status).toBe(200);
    expect(body.remediations.map((d) => [d.run_id, d.access_key_id, d.outcome, d.reason])).toEqual([
      [2, 'AKIAREMEDIATEAPI0003', 'spared', 'in-grace-period'],
      [2, 'AKIAREMEDIATEAPI0002', 'spared', 'final-warning-not-delivered'],
      [1, 'AKIAREMEDIATEAPI0001', 'deactivated', 'expired-past-grace'],
      [1, 'AKIAREMEDIATEAPI0003', 'notified', 'before-deactivation'],
      [1, 'AKIAREMEDIATEAPI0003', 'spared', 'in-grace-period'],
      [1, 'AKIAREMEDIATEAPI0002', 'spared', 'final-warning-not-delivered'],
    ]);
    expect(body.next_cursor).toBeNull();
  });

  it('filters by outcome, user, key and time, and pages with next_cursor', async () => {
    expect((await get('?outcome=deactivated')).body.remediations.map((d) => d.user_name)).toEqual(['alice']);
    expect((await get('?user_name=carol')).body.remediations).toHaveLength(3);
    expect((await get('?access_key_id=AKIAREMEDIATEAPI0002&account_id=111111111111')).body.remediations).toHaveLength(
      2,
    );
    expect((await get(`?since=${new Date(NOW.getTime() + DAY_MS).toISOString()}`)).body.remediations).toHaveLength(2);
    expect((await get(`?until=${new Date(NOW.getTime() + 1).toISOString()}`)).body.remediations).toHaveLength(4);

    const first = await get('?limit=4');
    const second = await get(`?limit=4&cursor=${first.body.next_cursor}`);
    expect(first.body.remediations).toHaveLength(4);
    expect(second.body.remediations).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
  });

  it('answers 400 naming a bad filter', async () => {
    const { status, body } = await get('?outcome=maybe');

    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_FAILED');
  });
});

describe('GET /v1/remediations on the real API (AppModule, bearer token, its own fresh store)', () => {
  const TOKEN = 'remediations-route-token-0123456789';

  it('is served behind the token, from the store, and the API sends IAM no write', async () => {
    const api = await startApiOnEmulator({ env: { API_TOKENS: TOKEN } });
    try {
      const anonymous = await fetch(`${api.url}/v1/remediations`);
      const res = await fetch(`${api.url}/v1/remediations?outcome=deactivated`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });

      expect(anonymous.status).toBe(401);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ remediations: [], next_cursor: null });
      expect(api.emulator.counters.requests.UpdateAccessKey).toBeUndefined();
    } finally {
      await api.close();
    }
  });
});
