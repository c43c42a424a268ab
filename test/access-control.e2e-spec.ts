import { seedAccount } from '@app/iam-emulator';
import { askOldKeys, keyRows, type ErrorBody, type KeyQuery, type Route } from './support/api-client';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { expectedRows, wholeSecondNow } from './support/expected-keys';

const TOKEN = 'e2e-first-token-0123456789';
const SECOND_TOKEN = 'e2e-second-token-9876543210';
const ROUTES: Route[] = ['list-users', 'credential-report'];
const q: KeyQuery = { hours: 720, includeInactive: false };

describe('bearer tokens (API_TOKENS)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 31, users: 30, now: seededAt });
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account },
      env: { API_TOKENS: `${TOKEN}, ${SECOND_TOKEN}`, SCAN_CACHE_TTL_SECONDS: '0' },
    });
  });
  afterAll(() => h?.close());
  beforeEach(() => h.emulator.resetCounters());

  const refused: [string, Record<string, string>, string][] = [
    ['no Authorization header', {}, 'Send Authorization: Bearer <token>'],
    ['a wrong token', { authorization: 'Bearer e2e-wrong-token-000000000' }, 'The bearer token is not valid'],
    ['a valid token cut short', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, 'The bearer token is not valid'],
    [
      'another scheme',
      { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
      'Send Authorization: Bearer <token>',
    ],
    ['the scheme alone', { authorization: 'Bearer' }, 'Send Authorization: Bearer <token>'],
    ['two words after Bearer', { authorization: `Bearer ${TOKEN} ${TOKEN}` }, 'Send Authorization: Bearer <token>'],
    ['the token without a scheme', { authorization: TOKEN }, 'Send Authorization: Bearer <token>'],
  ];

  it.each(ROUTES.flatMap((route) => refused.map(([what, headers, message]) => [route, what, headers, message])))(
    '%s with %s is 401 with a JSON body and WWW-Authenticate, before any IAM call',
    async (route, _what, headers, message) => {
      const {
        status,
        headers: resHeaders,
        body,
      } = await askOldKeys<ErrorBody>(h.url, route as Route, q, headers as Record<string, string>);
      expect(status).toBe(401);
      expect(resHeaders.get('www-authenticate')).toBe('Bearer realm="iam-key-monitor"');
      expect(body).toEqual({ statusCode: 401, error: 'Unauthorized', code: 'UNAUTHORIZED', message });
      expect(h.emulator.counters.totalIamRequests).toBe(0);
    },
  );

  it.each([
    ['list-users', TOKEN],
    ['credential-report', SECOND_TOKEN],
    ['list-users', SECOND_TOKEN],
  ] as [Route, string][])('%s answers with a configured token', async (route, token) => {
    const { status, body } = await askOldKeys(h.url, route, q, { authorization: `Bearer ${token}` });
    expect(status).toBe(200);
    expect(keyRows(body)).toEqual(expectedRows(account, q, seededAt));
  });

  it('accepts the scheme in any case, as RFC 7235 asks', async () => {
    const { status } = await askOldKeys(h.url, 'list-users', q, { authorization: `bearer ${TOKEN}` });
    expect(status).toBe(200);
  });

  it.each(['/health/live', '/health/ready', '/metrics'])('%s stays open without a token', async (path) => {
    const res = await fetch(`${h.url}${path}`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });
});

describe('per-client rate limit (RATE_LIMIT_PER_MINUTE=3)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 32, users: 20, now: seededAt });
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account },
      env: { RATE_LIMIT_PER_MINUTE: '3', SCAN_CACHE_TTL_SECONDS: '0' },
    });
  });
  afterAll(() => h?.close());

  it('answers the 4th request of a minute with 429, Retry-After and a JSON body, whichever route it asks', async () => {
    const allowed: Route[] = ['list-users', 'credential-report', 'list-users'];
    for (const route of allowed) {
      const { status, headers, body } = await askOldKeys(h.url, route, q);
      expect(status).toBe(200);
      expect(keyRows(body)).toEqual(expectedRows(account, q, seededAt));
      expect(headers.get('x-ratelimit-limit')).toBe('3');
    }
    const callsBefore = h.emulator.counters.totalIamRequests;

    for (const route of ROUTES) {
      const { status, headers, body } = await askOldKeys<ErrorBody>(h.url, route, q);
      expect(status).toBe(429);
      const retryAfter = Number(headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        code: 'TOO_MANY_REQUESTS',
        message: expect.any(String) as string,
        retry_after_seconds: retryAfter,
      });
    }
    expect(h.emulator.counters.totalIamRequests).toBe(callsBefore);
  });

  it('never limits health probes or metrics scrapes', async () => {
    for (let i = 0; i < 5; i++) {
      for (const path of ['/health/live', '/metrics']) {
        const res = await fetch(`${h.url}${path}`);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
    }
  });
});

describe('the rate limit behind a proxy (TRUST_PROXY)', () => {
  const listUsers = (url: string, forwardedFor: string) =>
    fetch(`${url}/v1/iam/old-access-keys/list-users?hours=24`, { headers: { 'x-forwarded-for': forwardedFor } });

  it('counts each forwarded client apart when the proxy is trusted', async () => {
    const h = await startApiOnEmulator({ env: { RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: '1' } });
    try {
      expect((await listUsers(h.url, '203.0.113.1')).status).toBe(200);
      expect((await listUsers(h.url, '203.0.113.2')).status).toBe(200);
      expect((await listUsers(h.url, '203.0.113.1')).status).toBe(429);
    } finally {
      await h.close();
    }
  });

  it('ignores X-Forwarded-For by default, so a client cannot dodge its limit by inventing addresses', async () => {
    const h = await startApiOnEmulator({ env: { RATE_LIMIT_PER_MINUTE: '1' } });
    try {
      expect((await listUsers(h.url, '203.0.113.1')).status).toBe(200);
      expect((await listUsers(h.url, '203.0.113.2')).status).toBe(429);
    } finally {
      await h.close();
    }
  });
});
