import type { Express } from 'express';
import { IAM_CLOCK } from '@app/iam';
import { IamEmulator, seedAccount } from '@app/iam-emulator';
import { ShutdownState } from '@app/platform';
import { CREDENTIAL_REPORT_PATH, LIST_USERS_PATH } from './support/api-client';
import { killSpawned, spawnApi, startApiOnEmulator, type ApiHarness, type SpawnedApi } from './support/api-harness';
import { wholeSecondNow } from './support/expected-keys';
import { parseLogLines, type LogLine } from './support/log-lines';

const TOKEN = 'fast-path-e2e-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const LIST = `${LIST_USERS_PATH}?hours=720`;
const BOOT_MS = 60_000;
/** Fields that differ between any two answers (Node's clock, a new id, the limit's count). */
const PER_REQUEST = ['date', 'x-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

const headersOf = (res: Response) =>
  Object.fromEntries([...res.headers.entries()].filter(([name]) => !PER_REQUEST.includes(name)));

describe('the raw fast path (node:http, before Express) answers warm GET and HEAD as the app does', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 153, users: 30, now: seededAt });
  let h: ApiHarness;
  /** Requests that reached Express (its app function hands each to app.handle). */
  let reached = 0;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(`${h.url}${path}`, { method, headers: { ...AUTH, ...headers } });

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account },
      env: {
        SCAN_CACHE_TTL_SECONDS: '600',
        API_TOKENS: TOKEN,
        ALLOW_UNAUTHENTICATED: 'false',
        RATE_LIMIT_PER_MINUTE: '100',
        // Clients told apart by X-Forwarded-For from loopback, on the fast path as by the guard.
        TRUST_PROXY: 'loopback',
      },
      configure: (b) => b.overrideProvider(IAM_CLOCK).useValue({ now: () => new Date(seededAt) }),
    });
    // Counted by hand: the config restores jest spies before each test.
    const express = h.app.getHttpAdapter().getInstance() as Express & { handle: (...args: unknown[]) => void };
    const handle = express.handle.bind(express);
    express.handle = (...args: unknown[]) => {
      reached++;
      handle(...args);
    };
  }, BOOT_MS);
  afterAll(() => h?.close());

  it('carries the same fields as the answer Express gave, the body byte for byte, without reaching Express', async () => {
    const slow = await get(LIST);
    expect(slow.status).toBe(200);
    const slowBody = await slow.text();
    expect(reached).toBe(1);

    const fast = await get(LIST);
    expect(fast.status).toBe(200);
    expect(await fast.text()).toBe(slowBody);
    expect(reached).toBe(1);
    expect(headersOf(fast)).toEqual(headersOf(slow));
    expect(Object.keys(headersOf(fast)).sort()).toEqual([
      'cache-control',
      'connection',
      'content-length',
      'content-type',
      'etag',
      'keep-alive',
      'x-content-type-options',
      'x-ratelimit-limit',
    ]);
    for (const res of [slow, fast]) {
      expect(res.headers.get('x-request-id')).toMatch(/^[\w-]{36}$/);
      expect(res.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
    }
    expect(Number(fast.headers.get('x-ratelimit-remaining'))).toBe(
      Number(slow.headers.get('x-ratelimit-remaining')) - 1,
    );
  });

  it('answers HEAD as Express does (the GET answer’s fields, no body), and If-None-Match with 304', async () => {
    const other = `${LIST_USERS_PATH}?hours=700`;
    const slowHead = await get(other, {}, 'HEAD');
    expect(reached).toBe(2);
    expect((await get(other)).status).toBe(200); // a GET is what lets HEAD and GET take the fast path
    expect(reached).toBe(3);
    const head = await get(other, {}, 'HEAD');
    expect(reached).toBe(3);
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(headersOf(head)).toEqual(headersOf(slowHead));
    expect(head.headers.get('content-length')).toMatch(/^[1-9]\d+$/);

    const warm = await get(LIST);
    const etag = warm.headers.get('etag') ?? '';
    const before = reached;
    const notModified = await get(LIST, { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe('');
    expect(reached).toBe(before);

    // Express's 304 for a URL it has not seen yet, If-None-Match: * (any tag): the same fields but the tag.
    const slowNotModified = await get(`${LIST_USERS_PATH}?hours=701`, { 'if-none-match': '*' });
    expect(slowNotModified.status).toBe(304);
    expect(reached).toBe(before + 1);
    const withoutTag = (res: Response) => {
      const { etag: _tag, ...rest } = headersOf(res);
      return rest;
    };
    expect(withoutTag(notModified)).toEqual(withoutTag(slowNotModified));
  });

  it('answers a warm POST from its body read off the socket, as Express did, however its JSON is spaced', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${h.url}${CREDENTIAL_REPORT_PATH}`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json', ...headers },
        body,
      });
    const before = reached;
    const slow = await post('{"hours":720}');
    expect(slow.status).toBe(200);
    const slowBody = await slow.text();
    expect(reached).toBe(before + 1);
    const fast = await post('{ "hours" : 720 }');
    expect(fast.status).toBe(200);
    expect(await fast.text()).toBe(slowBody);
    expect(headersOf(fast)).toEqual(headersOf(slow));
    const notModified = await post('{"hours":720}', { 'if-none-match': slow.headers.get('etag') ?? '' });
    expect(notModified.status).toBe(304);
    expect(reached).toBe(before + 1);
    // Read here, not warm: Express gets it with the body read, and its pipeline answers (and validates) it.
    const other = await post('{"hours":719}');
    expect(other.status).toBe(200);
    const invalid = await post('{"hours":-1}');
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
    expect(reached).toBe(before + 3);
  });

  it('honours a caller’s X-Request-Id as the request logger does, and mints one for a malformed id', async () => {
    expect((await get(LIST, { 'x-request-id': 'dashboard-7.a:b' })).headers.get('x-request-id')).toBe(
      'dashboard-7.a:b',
    );
    const minted = (await get(LIST, { 'x-request-id': 'not an id!' })).headers.get('x-request-id');
    expect(minted).toMatch(/^[\w-]{36}$/);
  });

  it('leaves a wrong or missing token to the guard: the same 401 as on a cold URL', async () => {
    const before = reached;
    const wrong = { authorization: 'Bearer wrong-token-0123456789abc' };
    const warmRefused = await get(LIST, wrong);
    const coldRefused = await get(`${LIST_USERS_PATH}?hours=719`, wrong);
    expect(warmRefused.status).toBe(401);
    expect(await warmRefused.json()).toEqual(await coldRefused.json());
    expect(headersOf(warmRefused)).toEqual(headersOf(coldRefused));
    const missing = await fetch(`${h.url}${LIST}`);
    expect(missing.status).toBe(401);
    expect(reached).toBe(before + 3);
  });

  it('steps aside while the server drains, so graceful shutdown can still close the connection', async () => {
    const state = h.app.get(ShutdownState);
    const before = reached;
    state.draining = true;
    try {
      expect((await get(LIST)).status).toBe(200);
      expect(reached).toBe(before + 1);
    } finally {
      state.draining = false;
    }
    expect((await get(LIST)).status).toBe(200);
    expect(reached).toBe(before + 1);
  });

  it('counts each forwarded client against its own budget, as the guard does under TRUST_PROXY', async () => {
    const as = (client: string) => get(LIST, { 'x-forwarded-for': client });
    const remaining = async (client: string) => Number((await as(client)).headers.get('x-ratelimit-remaining'));
    const before = reached;
    expect(await remaining('203.0.113.5')).toBe(99);
    expect(await remaining('203.0.113.5')).toBe(98);
    expect(await remaining('203.0.113.6')).toBe(99);
    expect(reached).toBe(before);
  });
});

describe('the raw fast path logs the line the request logger writes (API process, LOG_LEVEL=info)', () => {
  const emulator = new IamEmulator({ account: seedAccount({ seed: 154, users: 10 }) });
  let api: SpawnedApi | undefined;
  let lines: LogLine[];

  beforeAll(async () => {
    const { host } = new URL(await emulator.start(0, '127.0.0.1'));
    api = await spawnApi({
      AWS_ENDPOINT_URL_IAM: `http://${host}`,
      LOG_LEVEL: 'info',
      SCAN_CACHE_TTL_SECONDS: '600',
      RATE_LIMIT_PER_MINUTE: '100',
    });
    for (const id of ['slow-1', 'fast-1']) {
      const res = await fetch(`${api.url}${LIST}`, { headers: { 'x-request-id': id } });
      expect(res.status).toBe(200);
      await res.text();
    }
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    lines = parseLogLines(api.stdout());
  }, BOOT_MS);
  afterAll(async () => {
    await killSpawned(api);
    await emulator.stop();
  });

  it('has the same fields as the slow path’s line, req and res alike', () => {
    const line = (id: string) => {
      const found = lines.filter((l) => l.req?.id === id && l.msg === 'request completed');
      expect(found).toHaveLength(1);
      return found[0];
    };
    const slow = line('slow-1');
    const fast = line('fast-1');
    const shape = (l: LogLine) => ({
      keys: Object.keys(l).sort(),
      req: l.req && Object.keys(l.req).sort(),
      res: l.res && Object.keys(l.res).sort(),
    });
    expect(shape(fast)).toEqual(shape(slow));
    expect(fast).toMatchObject({
      level: slow.level,
      msg: 'request completed',
      service: 'iam-key-monitor',
      req: { id: 'fast-1', method: 'GET', url: LIST },
      res: { statusCode: 200 },
    });
    expect(typeof fast.responseTime).toBe('number');
  });
});
