import { readFileSync } from 'node:fs';
import path from 'node:path';
import { seedAccount } from '@app/iam-emulator';
import { BODY_LIMIT_BYTES, BODY_MAX_DEPTH } from '@app/platform';
import { ApiEnv } from '../apps/api/src/config/api.config';
import { CREDENTIAL_REPORT_PATH, LIST_USERS_PATH, requestJson, type ErrorBody } from './support/api-client';
import { ROOT, startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { scrapeMetrics, seriesValue } from './support/prometheus-text';
import { exchangeRaw, parseRawResponse, sendRaw, type RawAnswer } from './support/raw-http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JSON_TYPE = { 'content-type': 'application/json' };

function errorOf(answer: RawAnswer): ErrorBody {
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  return JSON.parse(answer.text) as ErrorBody;
}

function bodyRefused(message: string, field = 'body'): ErrorBody {
  return {
    statusCode: 400,
    error: 'Bad Request',
    code: 'VALIDATION_FAILED',
    message,
    fields: [{ field, messages: [message] }],
  };
}

describe('one body parser, ours, for every method and path', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account: seedAccount({ seed: 71, users: 5 }) } });
  });
  afterAll(() => h?.close());
  afterEach(() => expect(h.emulator.counters.totalIamRequests).toBe(0));

  const httpCount = async (route: string, method: string, status: number) =>
    seriesValue(await scrapeMetrics(h.metricsUrl), 'http_requests_total', { route, method, status: String(status) }) ??
    0;

  it('a 200 kB JSON body on GET /health/live is a 400 with a request id, counted like any request', async () => {
    const before = await httpCount('/health/live', 'GET', 400);
    const answer = await sendRaw(
      h.url,
      'GET',
      '/health/live',
      { ...JSON_TYPE, 'x-request-id': 'get-with-body-1' },
      JSON.stringify({ pad: 'x'.repeat(200_000) }),
    );
    expect(answer.status).toBe(400);
    expect(errorOf(answer)).toEqual(bodyRefused('GET requests take no body'));
    expect(answer.headers['x-request-id']).toBe('get-with-body-1');
    expect(await httpCount('/health/live', 'GET', 400)).toBe(before + 1);
  });

  it('malformed JSON on GET is refused as a body GET does not take, never with the parser’s SyntaxError text', async () => {
    const answer = await sendRaw(h.url, 'GET', `${LIST_USERS_PATH}?hours=24`, JSON_TYPE, '{"hours":');
    expect(answer.status).toBe(400);
    expect(errorOf(answer)).toEqual(bodyRefused('GET requests take no body'));
  });

  it.each([
    [
      'a form body with 2,000 fields on OPTIONS',
      'OPTIONS',
      { 'content-type': 'application/x-www-form-urlencoded' },
      Array.from({ length: 2000 }, (_, i) => `f${i}=v`).join('&'),
    ],
    ['charset=latin9 on DELETE', 'DELETE', { 'content-type': 'application/json; charset=latin9' }, '{"hours":1}'],
  ])('%s is a 4xx in the one error shape, never a 500', async (_what, method, headers, body) => {
    const answer = await sendRaw(h.url, method, CREDENTIAL_REPORT_PATH, headers, body);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(errorOf(answer)).toMatchObject({ statusCode: answer.status, code: expect.any(String) as string });
    expect(answer.headers['x-request-id']).toMatch(UUID);
  });

  it('JSON nested 2,000 levels deep (under the size limit) is 400 naming the body, not a stack overflow', async () => {
    const deep = `{"hours":24,"a":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    expect(deep.length).toBeLessThan(16 * 1024);
    const { status, body } = await requestJson<ErrorBody>(`${h.url}${CREDENTIAL_REPORT_PATH}`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: deep,
    });
    expect(status).toBe(400);
    expect(body).toEqual(bodyRefused('body must not nest deeper than 32 levels'));
  });

  it.each([
    ['no body and no Content-Type', {}],
    ['an empty JSON body', JSON_TYPE],
  ])('%s says the body is required, not that Content-Type is wrong', async (_what, headers) => {
    const answer = await sendRaw(h.url, 'POST', CREDENTIAL_REPORT_PATH, headers, '');
    expect(answer.status).toBe(400);
    expect(errorOf(answer)).toEqual(bodyRefused('body is required: a JSON object such as {"hours": 2160}'));
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'a %s key in the body is refused like any unknown field',
    async (key) => {
      const { status, body } = await requestJson<ErrorBody>(`${h.url}${CREDENTIAL_REPORT_PATH}`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: `{"hours":24,"${key}":{"polluted":true}}`,
      });
      expect(status).toBe(400);
      expect(body.fields).toEqual([{ field: key, messages: [`property ${key} should not exist`] }]);
    },
  );

  it.each(['__proto__', 'constructor'])('a %s query parameter is refused like any unknown one', async (key) => {
    const { status, body } = await requestJson<ErrorBody>(`${h.url}${LIST_USERS_PATH}?hours=24&${key}=x`);
    expect(status).toBe(400);
    expect(body.fields).toEqual([{ field: key, messages: [`property ${key} should not exist`] }]);
  });

  it('a malformed Content-Type (application/json;;;=) is refused naming the header', async () => {
    const answer = await sendRaw(
      h.url,
      'POST',
      CREDENTIAL_REPORT_PATH,
      { 'content-type': 'application/json;;;=' },
      '{"hours":24}',
    );
    expect(answer.status).toBe(400);
    expect(errorOf(answer).fields).toEqual([
      { field: 'Content-Type', messages: ['Content-Type must be application/json with a JSON object body'] },
    ]);
  });

  it('a gzip body is 415: the parser reads plain JSON only, so no compressed body is ever inflated', async () => {
    const answer = await sendRaw(
      h.url,
      'POST',
      CREDENTIAL_REPORT_PATH,
      { ...JSON_TYPE, 'content-encoding': 'gzip' },
      '{"hours":24}',
    );
    expect(answer.status).toBe(415);
    expect(errorOf(answer).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('an Expect other than 100-continue is 417 in the one error shape, with a request id', async () => {
    const { data } = await exchangeRaw(
      h.url,
      'GET /health/live HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nConnection: close\r\n\r\n',
    );
    const answer = parseRawResponse(data);
    expect(answer.status).toBe(417);
    expect(answer.headers['x-request-id']).toMatch(UUID);
    expect(JSON.parse(answer.body)).toEqual({
      statusCode: 417,
      error: 'Expectation Failed',
      code: 'EXPECTATION_FAILED',
      message: 'Expect: only 100-continue is supported',
    });
  });

  it('a valid body still reaches the route', async () => {
    const { status } = await requestJson(`${h.url}${CREDENTIAL_REPORT_PATH}`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: '{"hours":876000}',
    });
    expect(status).toBe(200);
    h.emulator.resetCounters();
  });
});

describe('response headers', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account: seedAccount({ seed: 72, users: 3 }) } });
  });
  afterAll(() => h?.close());

  it.each([
    ['a /v1 answer', `${LIST_USERS_PATH}?hours=876000`, 200],
    ['a /v1 refusal', `${LIST_USERS_PATH}?hours=-1`, 400],
    ['a health probe', '/health/live', 200],
    ['an unknown path', '/nope', 404],
  ])('%s is never cached or sniffed, and does not name the framework', async (_what, path, status) => {
    const res = await fetch(`${h.url}${path}`);
    await res.arrayBuffer();
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toMatch(/(^|, )no-store(,|$)/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('Swagger UI does not keep the bearer token in localStorage', async () => {
    const script = await (await fetch(`${h.url}/docs/swagger-ui-init.js`)).text();
    expect(script).toContain('"persistAuthorization": false');
  });
});

describe('requests Node’s own HTTP parser refuses answer in the one JSON error shape', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account: seedAccount({ seed: 73, users: 3 }) } });
  });
  afterAll(() => h?.close());

  it.each([
    ['a bad request line', 'BREW /pot HTCPCP/1.0\r\n\r\n', 400, 'BAD_REQUEST'],
    ['obsolete line folding', 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n', 400, 'BAD_REQUEST'],
    [
      'headers over 16 kB',
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'REQUEST_HEADER_FIELDS_TOO_LARGE',
    ],
  ])('%s: JSON error shape, request id, counted, connection closed', async (_what, bytes, status, code) => {
    const { data } = await exchangeRaw(h.url, bytes);
    const answer = parseRawResponse(data);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['x-request-id']).toMatch(UUID);
    expect(answer.headers['connection']).toBe('close');
    expect(answer.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(answer.body) as ErrorBody;
    expect(body).toEqual({
      statusCode: status,
      error: expect.any(String) as string,
      code,
      message: expect.any(String),
    });
    const metrics = await scrapeMetrics(h.metricsUrl);
    expect(
      seriesValue(metrics, 'http_requests_total', { route: 'unparsed', method: 'UNKNOWN', status: String(status) }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('HTTP server limits bite (small values)', () => {
  const HEADERS_TIMEOUT_MS = 400;
  const REQUEST_TIMEOUT_MS = 1000;
  const KEEP_ALIVE_TIMEOUT_MS = 400;
  const MAX_CONNECTIONS = 4;
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account: seedAccount({ seed: 74, users: 3 }) },
      env: {
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
        HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
        HTTP_MAX_HEADERS_COUNT: '20',
      },
    });
  });
  afterAll(() => h?.close());

  const timedOut = (data: string) => {
    const answer = parseRawResponse(data);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({
      statusCode: 408,
      error: 'Request Timeout',
      code: 'REQUEST_TIMEOUT',
      message: 'The request did not arrive within the server’s time limit',
    });
  };

  it.each([
    ['a connection that never says anything', ''],
    ['headers that stop half way', 'GET /health/live HTTP/1.1\r\nHost: x\r\n'],
  ])('%s is answered 408 and closed after HTTP_HEADERS_TIMEOUT_MS', async (_what, bytes) => {
    const { data, closedAfterMs } = await exchangeRaw(h.url, bytes);
    timedOut(data);
    expect(closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS * 0.75);
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 4000);
  });

  it('a body whose Content-Length never arrives is answered 408 and closed after HTTP_REQUEST_TIMEOUT_MS', async () => {
    const { data, closedAfterMs } = await exchangeRaw(
      h.url,
      `POST ${CREDENTIAL_REPORT_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"hours":`,
    );
    timedOut(data);
    expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS * 0.75);
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 4000);
  });

  it('an idle keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const { data, closedAfterMs } = await exchangeRaw(h.url, 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(parseRawResponse(data).status).toBe(200);
    expect(data.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(closedAfterMs).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS * 0.75);
    // Node adds up to a second of its own to the keep-alive timeout.
    expect(closedAfterMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 4000);
  });

  it('connections beyond HTTP_MAX_CONNECTIONS are closed unanswered; once they go, new ones are served', async () => {
    const held = Array.from({ length: MAX_CONNECTIONS }, () =>
      exchangeRaw(h.url, 'GET /health/live HTTP/1.1\r\nHost: x\r\n'),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const beyond = await exchangeRaw(h.url, 'GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(beyond.data).toBe('');
    expect(beyond.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS);
    for (const { data } of await Promise.all(held)) {
      timedOut(data);
    }
    const after = await exchangeRaw(h.url, 'GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(parseRawResponse(after.data).status).toBe(200);
  });

  // Node 22 (the runtime) refuses a request with more header fields than the cap; Node 20 read the first ones only.
  const refusesBeyondCap = Number(process.versions.node.split('.')[0]) >= 22;

  it(`headers beyond HTTP_MAX_HEADERS_COUNT are never read (${refusesBeyondCap ? 'refused 431' : 'dropped'})`, async () => {
    const filler = (count: number) => Array.from({ length: count }, (_, i) => `X-Filler-${i}: ${i}\r\n`).join('');
    const ask = async (headers: string) => {
      const { data } = await exchangeRaw(h.url, `GET /health/live HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`);
      return parseRawResponse(data);
    };
    // 20 fields in all: at the cap.
    const within = await ask(`Host: x\r\nX-Request-Id: within-the-cap\r\n${filler(17)}`);
    expect(within.status).toBe(200);
    expect(within.headers['x-request-id']).toBe('within-the-cap');

    const beyond = await ask(`Host: x\r\n${filler(25)}X-Request-Id: beyond-the-cap\r\n`);
    expect(beyond.headers['x-request-id']).toMatch(UUID);
    if (refusesBeyondCap) {
      expect(beyond.status).toBe(431);
      expect(JSON.parse(beyond.body)).toMatchObject({ statusCode: 431, code: 'REQUEST_HEADER_FIELDS_TOO_LARGE' });
    } else {
      expect(beyond.status).toBe(200);
    }
  });
});

describe('the README states the limits the code enforces', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const defaults = new ApiEnv() as unknown as Record<string, unknown>;

  it.each([
    'HTTP_HEADERS_TIMEOUT_MS',
    'HTTP_REQUEST_TIMEOUT_MS',
    'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    'HTTP_MAX_CONNECTIONS',
    'HTTP_MAX_HEADERS_COUNT',
  ])('%s: the configuration table shows its default', (name) => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
    expect(row?.split('|')[2].trim()).toBe(`\`${String(defaults[name])}\``);
  });

  it('the body limits in the Security section are the parser’s', () => {
    expect(BODY_LIMIT_BYTES).toBe(16 * 1024);
    expect(readme).toMatch(new RegExp(`at most 16 kB and ${BODY_MAX_DEPTH}\\s+levels deep`));
  });
});
