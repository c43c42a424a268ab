import { IAM_CLOCK } from '@app/iam';
import { seedAccount } from '@app/iam-emulator';
import { PreparedAnswers } from '../apps/api/src/http/prepared-answers';
import { CREDENTIAL_REPORT_PATH, LIST_USERS_PATH, type OldKeysBody } from './support/api-client';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { wholeSecondNow } from './support/expected-keys';
import { scrapeMetrics, seriesValue } from './support/prometheus-text';

const TOKEN = 'etag-e2e-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const LIST = `${LIST_USERS_PATH}?hours=720`;
const LIMIT = 100;
const BOOT_MS = 60_000;
const MINUTE_MS = 60_000;

describe('ETag and If-None-Match on the warm read routes (SCAN_CACHE_TTL_SECONDS=600, clock moved by the spec)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 151, users: 40, now: seededAt });
  let nowMs = seededAt.getTime();
  let h: ApiHarness;
  const builds = () => h.app.get(PreparedAnswers).buildCount;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${h.url}${path}`, { headers: { ...AUTH, ...headers } });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.url}${CREDENTIAL_REPORT_PATH}`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account },
      env: {
        SCAN_CACHE_TTL_SECONDS: '600',
        API_TOKENS: TOKEN,
        ALLOW_UNAUTHENTICATED: 'false',
        RATE_LIMIT_PER_MINUTE: String(LIMIT),
      },
      configure: (b) => b.overrideProvider(IAM_CLOCK).useValue({ now: () => new Date(nowMs) }),
    });
  }, BOOT_MS);
  afterAll(() => h?.close());

  it('tags every answer, answers 304 without a body to its tag (strong, weak, among several, *), 200 to another', async () => {
    const first = await get(LIST);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]{43}"$/);
    const body = await first.text();
    expect((JSON.parse(body) as OldKeysBody).count).toBeGreaterThan(0);

    for (const tag of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const res = await get(LIST, { 'if-none-match': tag });
      expect({ tag, status: res.status }).toEqual({ tag, status: 304 });
      expect(res.headers.get('etag')).toBe(etag);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.text()).toBe('');
    }
    const other = await get(LIST, { 'if-none-match': '"nope"' });
    expect(other.status).toBe(200);
    expect(await other.text()).toBe(body);
    expect(builds()).toBe(1); // one body built and serialized for all six
  });

  it('keeps the tag while every age stays the same, and changes it with the body when an age moves a tenth', async () => {
    const before = await get(LIST);
    const etag = before.headers.get('etag');
    const ages = ((await before.json()) as OldKeysBody).old_access_keys.map((k) => k.age_hours);
    const built = builds();
    // Seeded keys and the clock sit on whole seconds, so do all the instants an age or the answer changes at.
    nowMs += 999;
    const same = await get(LIST, { 'if-none-match': etag ?? '' });
    expect(same.status).toBe(304);
    expect(builds()).toBe(built);

    nowMs += 6 * MINUTE_MS; // every age has moved at least a tenth of an hour
    const moved = await get(LIST, { 'if-none-match': etag ?? '' });
    expect(moved.status).toBe(200);
    expect(moved.headers.get('etag')).not.toBe(etag);
    const movedAges = ((await moved.json()) as OldKeysBody).old_access_keys.map((k) => k.age_hours);
    expect(movedAges).not.toEqual(ages);
    expect(builds()).toBe(built + 1);
  });

  it('changes the tag when a new scan after the TTL sees a changed key', async () => {
    const before = await get(LIST);
    const etag = before.headers.get('etag') ?? '';
    const body = (await before.json()) as OldKeysBody;
    account.deleteAccessKey(body.old_access_keys[0].access_key_id);
    // Within the TTL the shared scan still answers: same tag.
    expect((await get(LIST, { 'if-none-match': etag })).status).toBe(304);
    nowMs += 601_000;
    const after = await get(LIST, { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(((await after.json()) as OldKeysBody).count).toBe(body.count - 1);
  });

  it('answers the credential-report POST the same way', async () => {
    const first = await post({ hours: 720 });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).not.toBe('');
    const again = await post({ hours: 720 }, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });
});

describe('the fast path keeps every guarantee (API_TOKENS, RATE_LIMIT_PER_MINUTE, metrics)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 152, users: 20, now: seededAt });
  let h: ApiHarness;
  const get = (headers: Record<string, string>) => fetch(`${h.url}${LIST}`, { headers });

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account },
      env: {
        SCAN_CACHE_TTL_SECONDS: '600',
        API_TOKENS: TOKEN,
        ALLOW_UNAUTHENTICATED: 'false',
        RATE_LIMIT_PER_MINUTE: '4',
      },
      configure: (b) => b.overrideProvider(IAM_CLOCK).useValue({ now: () => new Date(seededAt) }),
    });
  }, BOOT_MS);
  afterAll(() => h?.close());

  it('refuses a missing or wrong token even with the current tag, counts every request against the limit, and is measured', async () => {
    const first = await get(AUTH);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-remaining')).toBe('3');
    const etag = first.headers.get('etag') ?? '';

    expect((await get({ 'if-none-match': etag })).status).toBe(401);
    expect((await get({ authorization: 'Bearer wrong-token-0123456789', 'if-none-match': etag })).status).toBe(401);

    const warm = await get({ ...AUTH, 'if-none-match': etag });
    expect(warm.status).toBe(304);
    expect(warm.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(warm.headers.get('x-request-id')).toMatch(/^[\w-]{36}$/);
    const again = await get(AUTH);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await get(AUTH)).headers.get('x-ratelimit-remaining')).toBe('0');
    const refused = await get({ ...AUTH, 'if-none-match': etag });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();

    const metrics = await scrapeMetrics(h.metricsUrl);
    const route = { route: LIST_USERS_PATH, method: 'GET' };
    expect(seriesValue(metrics, 'http_requests_total', { ...route, status: '200' })).toBe(3);
    expect(seriesValue(metrics, 'http_requests_total', { ...route, status: '304' })).toBe(1);
    expect(seriesValue(metrics, 'http_requests_total', { ...route, status: '401' })).toBe(2);
    expect(seriesValue(metrics, 'http_requests_total', { ...route, status: '429' })).toBe(1);
  });
});
