import { seedAccount } from '@app/iam-emulator';
import { askOldKeys, keyRows, LIST_USERS_PATH, type ErrorBody, type KeyQuery, type Route } from './support/api-client';
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

  it.each(['/health/live', '/health/ready'])('%s stays open without a token', async (path) => {
    const res = await fetch(`${h.url}${path}`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it('serves /metrics on METRICS_PORT only, without a token, and not on the API port', async () => {
    const scrape = await fetch(`${h.metricsUrl}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await scrape.text()).toContain('# TYPE http_requests_total counter');
    expect(new URL(h.metricsUrl).port).not.toBe(new URL(h.url).port);

    const onApiPort = await fetch(`${h.url}/metrics`);
    expect(onApiPort.status).toBe(404);
    expect(await onApiPort.json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('serves nothing but /metrics on METRICS_PORT', async () => {
    for (const path of ['/health/live', LIST_USERS_PATH, '/docs']) {
      const res = await fetch(`${h.metricsUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        code: 'NOT_FOUND',
        message: 'This port serves GET /metrics only',
      });
    }
    expect((await fetch(`${h.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('failed authentications on their own budget (AUTH_FAILURES_PER_MINUTE=3)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 33, users: 10, now: seededAt });
  const wrong = { authorization: 'Bearer e2e-wrong-token-000000000' };
  const right = { authorization: `Bearer ${TOKEN}` };
  const ask = (url: string, headers: Record<string, string>, forwardedFor?: string) =>
    askOldKeys<ErrorBody>(
      url,
      'list-users',
      q,
      forwardedFor ? { ...headers, 'x-forwarded-for': forwardedFor } : headers,
    );

  it('wrong tokens never spend the request budget of callers with a right one', async () => {
    const h = await startApiOnEmulator({
      emulator: { account },
      env: { API_TOKENS: TOKEN, RATE_LIMIT_PER_MINUTE: '3', AUTH_FAILURES_PER_MINUTE: '0' },
    });
    try {
      for (let i = 0; i < 10; i++) {
        expect((await ask(h.url, wrong)).status).toBe(401);
      }
      for (let i = 0; i < 3; i++) {
        expect((await ask(h.url, right)).status).toBe(200);
      }
      expect((await ask(h.url, right)).status).toBe(429);
    } finally {
      await h.close();
    }
  });

  it('locks out a client past its budget with 429, Retry-After and X-RateLimit-*, before any IAM call', async () => {
    const h = await startApiOnEmulator({
      emulator: { account },
      env: { API_TOKENS: TOKEN, AUTH_FAILURES_PER_MINUTE: '3', AUTH_LOCKOUT_SECONDS: '600' },
    });
    try {
      // Requests with the right token in between are never charged.
      for (const headers of [wrong, right, {}, right, right, wrong]) {
        expect((await ask(h.url, headers)).status).toBe(headers === right ? 200 : 401);
      }
      h.emulator.resetCounters();
      const refusals = [await ask(h.url, wrong), await ask(h.url, {}), await ask(h.url, wrong)];
      for (const { status, headers, body } of refusals) {
        expect(status).toBe(429);
        const retryAfter = Number(headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(590);
        expect(retryAfter).toBeLessThanOrEqual(600);
        expect(headers.get('x-ratelimit-limit')).toBe('3');
        expect(headers.get('x-ratelimit-remaining')).toBe('0');
        expect(headers.get('x-ratelimit-reset')).toBe(String(retryAfter));
        expect(body).toEqual({
          statusCode: 429,
          error: 'Too Many Requests',
          code: 'TOO_MANY_FAILED_AUTHENTICATIONS',
          message: expect.any(String) as string,
          retry_after_seconds: retryAfter,
        });
      }
      expect(h.emulator.counters.totalIamRequests).toBe(0);

      // A right token still works from the locked-out address: clients behind one ingress share it.
      const { status, body } = await askOldKeys(h.url, 'list-users', q, right);
      expect(status).toBe(200);
      expect(keyRows(body)).toEqual(expectedRows(account, q, seededAt));
    } finally {
      await h.close();
    }
  });

  it('counts each client apart (TRUST_PROXY=1), so one failing client locks out only itself', async () => {
    const h = await startApiOnEmulator({
      emulator: { account },
      env: { API_TOKENS: TOKEN, AUTH_FAILURES_PER_MINUTE: '1', TRUST_PROXY: '1' },
    });
    try {
      expect((await ask(h.url, wrong, '203.0.113.1')).status).toBe(401);
      expect((await ask(h.url, wrong, '203.0.113.1')).status).toBe(429);
      expect((await ask(h.url, wrong, '203.0.113.2')).status).toBe(401);
      expect((await ask(h.url, wrong, '203.0.113.2')).status).toBe(429);
    } finally {
      await h.close();
    }
  });

  it('lets a client try again once AUTH_LOCKOUT_SECONDS has passed', async () => {
    const h = await startApiOnEmulator({
      emulator: { account },
      env: { API_TOKENS: TOKEN, AUTH_FAILURES_PER_MINUTE: '1', AUTH_LOCKOUT_SECONDS: '1' },
    });
    try {
      expect((await ask(h.url, wrong)).status).toBe(401);
      const locked = await ask(h.url, wrong);
      expect(locked.status).toBe(429);
      expect(locked.headers.get('retry-after')).toBe('1');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await ask(h.url, wrong)).status).toBe(401);
    } finally {
      await h.close();
    }
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
      // The same RateLimit headers as the 200s, so a client reads one set of headers whatever the answer.
      expect(headers.get('x-ratelimit-limit')).toBe('3');
      expect(headers.get('x-ratelimit-remaining')).toBe('0');
      expect(headers.get('x-ratelimit-reset')).toBe(String(retryAfter));
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
      for (const url of [`${h.url}/health/live`, `${h.metricsUrl}/metrics`]) {
        const res = await fetch(url);
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
