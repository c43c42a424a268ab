import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, Response } from 'express';
import { BODY_ERROR_KEY, BODY_LIMIT_BYTES, jsonBody } from './json-body.middleware';
import { PreparedAnswerCache } from './prepared-answer.cache';
import { installRawFastPath, rawFastPath, type RawFastPathOptions } from './prepared-answer.raw-fast-path';

const ROUTE = '/v1/things';
const URL_ = `${ROUTE}?a=1`;
const TOKEN = 'Bearer good-token';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request over a fresh connection, any method, any headers, an optional body. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe(rawFastPath.name, () => {
  let server: Server;
  let port: number;
  let answers: PreparedAnswerCache;
  let nowMs: number;
  let refuse: boolean;
  let open: boolean;
  let counted: number;
  let served: jest.Mock<void, Parameters<RawFastPathOptions['served']>>;
  let app: jest.Mock<void, [IncomingMessage, ServerResponse]>;

  beforeEach(async () => {
    answers = new PreparedAnswerCache();
    nowMs = 0;
    refuse = false;
    open = true;
    counted = 0;
    served = jest.fn();
    // The app behind: its body parser, then 299 with what the parser made of the body.
    app = jest.fn((req, res) => {
      jsonBody()(req as Request, res as Response, () => {
        const refusal = (req as Request & Record<symbol, unknown>)[BODY_ERROR_KEY] as { message: string } | undefined;
        res.writeHead(299, { 'X-App': 'yes' });
        res.end(refusal ? `refused: ${refusal.message}` : `app ${JSON.stringify((req as Request).body ?? null)}`);
      });
    });
    await answers.answer({
      key: 'k',
      nowMs: 0,
      build: () => Promise.resolve({ value: { n: 1 }, validUntilMs: 1_000 }),
    });
    answers.remember(`GET ${URL_}`, 'k', ROUTE);
    answers.remember(`POST ${URL_} {"a":[1,2]}`, 'k', ROUTE);
    server = createServer(app);
    installRawFastPath(
      server,
      rawFastPath({
        answers,
        nowMs: () => nowMs,
        authorized: (authorization) => authorization === TOKEN,
        rateLimit: {
          wouldRefuse: () => refuse,
          count: (_req, head) => {
            counted++;
            head.push('X-RateLimit-Remaining', String(10 - counted));
          },
        },
        commonHeaders: { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
        requestId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : 'minted'),
        open: () => open,
        served,
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (headers: Record<string, string> = {}, path = URL_, method = 'GET') =>
    send(port, method, path, { authorization: TOKEN, ...headers });

  it('answers a remembered GET from the prepared bytes with every header, counted, logged once, the app untouched', async () => {
    const res = await get({ 'x-request-id': 'abc' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"n":1}');
    const etag = res.headers.etag;
    expect(etag).toMatch(/^"[\w-]{43}"$/);
    expect(res.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-type': 'application/json; charset=utf-8',
      'content-length': '7',
      'x-request-id': 'abc',
      'x-ratelimit-remaining': '9',
    });
    expect(app).not.toHaveBeenCalled();
    expect(served).toHaveBeenCalledTimes(1);
    const [req, response, route, id] = served.mock.calls[0];
    expect([req.url, response.statusCode, route, id]).toEqual([URL_, 200, ROUTE, 'abc']);
  });

  it('answers If-None-Match with 304 and no body, and HEAD with the headers alone', async () => {
    const { headers } = await get();
    const notModified = await get({ 'if-none-match': `W/${String(headers.etag)}` });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers.etag).toBe(headers.etag);
    expect(notModified.headers['content-type']).toBeUndefined();
    expect(notModified.headers['x-ratelimit-remaining']).toBe('8');
    const head = await get({}, URL_, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('7');
    expect(served.mock.calls.map(([req, res]) => `${req.method} ${res.statusCode}`)).toEqual([
      'GET 200',
      'GET 304',
      'HEAD 200',
    ]);
    expect(app).not.toHaveBeenCalled();
  });

  it.each<[string, () => Promise<Answer>]>([
    ['a missing token', () => send(port, 'GET', URL_, {})],
    ['a wrong token', () => get({ authorization: 'Bearer nope' })],
    ['another URL', () => get({}, `${ROUTE}?a=2`)],
    ['a PUT', () => send(port, 'PUT', URL_, { authorization: TOKEN, 'content-type': 'application/json' }, '{}')],
    ['an Expect', () => get({ expect: '100-continue' })],
    ['a body on GET', () => send(port, 'GET', URL_, { authorization: TOKEN, 'content-length': '1' }, 'x')],
    ['a chunked body on GET', () => get({ 'transfer-encoding': 'chunked' })],
  ])('leaves %s to the app, uncounted', async (_case, call) => {
    const res = await call();
    expect(res.status).toBe(299);
    expect(res.body).toMatch(/^(app|refused)/);
    expect(app).toHaveBeenCalledTimes(1);
    expect(counted).toBe(0);
    expect(served).not.toHaveBeenCalled();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    send(port, 'POST', URL_, { authorization: TOKEN, 'content-type': 'application/json', ...headers }, body);

  it('reads a POST body as the app would and answers a remembered one (the same JSON, however spaced)', async () => {
    const res = await post('{ "a": [1, 2] }', { 'content-length': '15' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"n":1}');
    expect(res.headers['x-ratelimit-remaining']).toBe('9');
    expect(app).not.toHaveBeenCalled();
    expect(served.mock.calls.map(([req, r, route]) => [req.method, r.statusCode, route])).toEqual([
      ['POST', 200, ROUTE],
    ]);
  });

  it('hands a POST it read to the app with what it read, for the app’s body parser to use as its own', async () => {
    expect(await post('{"a":[2,1]}')).toMatchObject({ status: 299, body: 'app {"a":[2,1]}' });
    expect(await post('{"a":')).toMatchObject({ status: 299, body: 'refused: body must be valid JSON' });
    const big = JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT_BYTES) });
    const chunked = await post(big, { 'transfer-encoding': 'chunked' });
    expect(chunked).toMatchObject({ status: 299, body: 'refused: request entity too large' });
    expect(app).toHaveBeenCalledTimes(3);
    expect(counted).toBe(0);
  });

  it('leaves a POST unread to the app when its token fails or its headers are refused', async () => {
    expect(await post('{"a":[1,2]}', { authorization: 'Bearer nope' })).toMatchObject({
      status: 299,
      body: 'app {"a":[1,2]}',
    });
    expect(await post('{"a":[1,2]}', { 'content-type': 'text/plain' })).toMatchObject({
      status: 299,
      body: 'refused: Content-Type must be application/json with a JSON object body',
    });
    expect(app).toHaveBeenCalledTimes(2);
    expect(served).not.toHaveBeenCalled();
  });

  it('leaves the request to the app once the answer is stale, the limit spent, or the server draining', async () => {
    refuse = true;
    expect((await get()).status).toBe(299);
    refuse = false;
    open = false;
    expect((await get()).status).toBe(299);
    open = true;
    nowMs = 1_000;
    expect((await get()).status).toBe(299);
    expect(app).toHaveBeenCalledTimes(3);
    expect(counted).toBe(0);
  });
});
