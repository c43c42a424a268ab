import { connect } from 'node:net';
import { DEFAULT_ACCOUNT_ID, IamEmulator, seedAccount } from '@app/iam-emulator';
import { askOldKeys, keyRows, LIST_USERS_PATH, type KeyQuery } from './support/api-client';
import { killSpawned, spawnApi, type SpawnedApi } from './support/api-harness';
import { freshDataDir } from './support/embedded-store';
import { expectedRows, usersOlderThan, wholeSecondNow } from './support/expected-keys';
import { LOG_LEVELS, parseLogLines, type LogLine } from './support/log-lines';

const SLOW = 30_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OPEN_API_WARNING =
  'ALLOW_UNAUTHENTICATED=true and API_TOKENS is not set: the /v1 routes are open to anyone who can reach the service';

function canConnect(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await condition()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Gave up waiting for ${what}`);
}

describe('JSON logs of the API process (LOG_LEVEL=info, API_TOKENS set)', () => {
  const TOKEN = 'e2e-log-secret-token-0123456789';
  const auth = { authorization: `Bearer ${TOKEN}` };
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 61, users: 40, now: seededAt });
  const q: KeyQuery = { hours: 720, includeInactive: false };
  const emulator = new IamEmulator({ account });
  let api: SpawnedApi | undefined;
  let lines: LogLine[];
  const ids: Record<'sent' | 'minted' | 'replaced' | 'refused' | 'denied', string> = {
    sent: '',
    minted: '',
    replaced: '',
    refused: '',
    denied: '',
  };
  let listUsersCalls: Record<string, number>;

  beforeAll(async () => {
    api = await spawnApi({
      AWS_ENDPOINT_URL_IAM: await emulator.start(),
      LOG_LEVEL: 'info',
      API_TOKENS: TOKEN,
      SCAN_CACHE_TTL_SECONDS: '0',
      REPORT_POLL_INTERVAL_MS: '20',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    const sent = await askOldKeys(api.url, 'list-users', q, { ...auth, 'x-request-id': 'e2e-log-0001' });
    expect(keyRows(sent.body)).toEqual(expectedRows(account, q, seededAt));
    ids.sent = sent.headers.get('x-request-id') ?? '';
    // STS is asked for the own account once per process (the scan names its account); the rest is the scan's.
    const { GetCallerIdentity: identityCalls, ...iamCalls } = emulator.counters.requests;
    expect(identityCalls).toBe(1);
    listUsersCalls = iamCalls;

    const minted = await askOldKeys(api.url, 'credential-report', q, auth);
    expect(minted.status).toBe(200);
    ids.minted = minted.headers.get('x-request-id') ?? '';
    const replaced = await askOldKeys(api.url, 'list-users', q, { ...auth, 'x-request-id': 'not an id; <script>' });
    expect(replaced.status).toBe(200);
    ids.replaced = replaced.headers.get('x-request-id') ?? '';
    const refused = await askOldKeys(api.url, 'list-users', q, { authorization: 'Bearer e2e-wrong-token-000000' });
    expect(refused.status).toBe(401);
    ids.refused = refused.headers.get('x-request-id') ?? '';
    emulator.faults.accessDenied.add('ListAccessKeys');
    const denied = await askOldKeys(api.url, 'list-users', q, auth);
    emulator.faults.accessDenied.clear();
    expect(denied.status).toBe(502);
    ids.denied = denied.headers.get('x-request-id') ?? '';
    for (const url of [`${api.url}/health/live`, `${api.url}/health/ready`, `${api.metricsUrl}/metrics`]) {
      expect((await fetch(url, { headers: auth })).status).toBe(200);
    }

    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    lines = parseLogLines(api.stdout());
  }, SLOW);
  afterAll(async () => {
    await killSpawned(api);
    await emulator.stop();
  });

  const ofRequest = (id: string) => lines.filter((l) => l.req?.id === id);

  it('writes one JSON event per line on stdout', () => {
    expect(lines.length).toBeGreaterThan(5);
    // pino-http says "request errored" for a 5xx, "request completed" otherwise.
    expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(4);
    expect(lines.filter((l) => l.msg === 'request errored')).toHaveLength(1);
  });

  it('echoes a caller’s X-Request-Id and puts it on every line of that request', () => {
    expect(ids.sent).toBe('e2e-log-0001');
    const mine = ofRequest(ids.sent);
    expect(mine.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['IAM client created for endpoint ' + emulator.url, 'scan finished', 'request completed']),
    );
    expect(mine.find((l) => l.msg === 'request completed')).toMatchObject({
      level: LOG_LEVELS.info,
      req: { method: 'GET', url: `${LIST_USERS_PATH}?hours=720&include_inactive=false` },
      res: { statusCode: 200 },
    });
    // Nothing logged while serving the API's routes lacks a request id.
    const duringRequests = lines.filter((l) => ['OldKeysService', 'IamClientProvider'].includes(l.context ?? ''));
    expect(duringRequests.length).toBeGreaterThan(0);
    expect(duringRequests.every((l) => typeof l.req?.id === 'string' && l.req.id.length > 0)).toBe(true);
  });

  it('mints a request id when none (or an unusable one) is sent, and returns it', () => {
    expect(ids.minted).toMatch(UUID);
    expect(ids.replaced).toMatch(UUID);
    expect(ids.replaced).not.toBe(ids.minted);
    const perRequest = ['scan finished', 'accounts scan finished', 'request completed'];
    expect(ofRequest(ids.minted).map((l) => l.msg)).toEqual(perRequest);
    expect(ofRequest(ids.replaced).map((l) => l.msg)).toEqual(perRequest);
    expect(api?.output()).not.toContain('<script>');
  });

  it('logs a refused request at warn with its id, and never the Authorization header or a token', () => {
    expect(ofRequest(ids.refused)).toEqual([
      expect.objectContaining({ level: LOG_LEVELS.warn, msg: 'request completed', res: { statusCode: 401 } }),
    ]);
    const everything = api?.output() ?? '';
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain('e2e-wrong-token');
    expect(everything).not.toMatch(/"authorization"/i);
    expect(everything).not.toContain(OPEN_API_WARNING);
  });

  it('logs an IAM failure with the request id, its code and action, and no stack trace', () => {
    expect(ofRequest(ids.denied)).toEqual([
      expect.objectContaining({
        level: LOG_LEVELS.warn,
        context: 'OrganizationScanService',
        msg: 'accounts scan finished',
        scan: expect.objectContaining({
          accounts: 1,
          accountsFailed: 1,
          failed: [{ accountId: DEFAULT_ACCOUNT_ID, code: 'IAM_ACCESS_DENIED' }],
        }) as unknown,
      }),
      expect.objectContaining({
        level: LOG_LEVELS.warn,
        context: 'ApiExceptionFilter',
        msg: "IAM failure: IAM denied ListAccessKeys to the service's credentials",
        code: 'IAM_ACCESS_DENIED',
        action: 'ListAccessKeys',
        awsError: 'AccessDenied',
        account: DEFAULT_ACCOUNT_ID,
        status: 502,
      }),
      expect.objectContaining({
        level: LOG_LEVELS.error,
        msg: 'request errored',
        res: { statusCode: 502 },
        err: { type: 'Error', message: 'failed with status code 502' },
      }),
    ]);
    expect(api?.stdout()).not.toMatch(/"stack"|\\n\s+at /);
  });

  it('does not log health probes or metrics scrapes at info', () => {
    expect(lines.filter((l) => /^\/(health|metrics)/.test(l.req?.url ?? ''))).toEqual([]);
  });

  it('logs one scan summary per scan with its costs and findings', () => {
    const summary = ofRequest(ids.sent).find((l) => l.msg === 'scan finished');
    const old = usersOlderThan(account, q.hours, seededAt);
    expect(summary).toMatchObject({
      level: LOG_LEVELS.info,
      context: 'OldKeysService',
      scan: {
        strategy: 'list-users',
        accountId: DEFAULT_ACCOUNT_ID,
        hours: 720,
        includeInactive: false,
        usersSeen: account.userCount,
        usersSkippedYoung: account.userCount - old.length,
        usersVanished: 0,
        iamCalls: listUsersCalls,
        retries: 0,
        throttles: 0,
        keysFound: expectedRows(account, q, seededAt).length,
        rootKeysFound: 0,
        durationMs: expect.any(Number) as number,
      },
    });
    expect(listUsersCalls).toEqual({ ListUsers: 1, ListAccessKeys: old.length });
    expect(ofRequest(ids.sent).find((l) => l.msg === 'accounts scan finished')).toMatchObject({
      level: LOG_LEVELS.info,
      context: 'OrganizationScanService',
      scan: {
        strategy: 'list-users',
        accounts: 1,
        accountsOk: 1,
        accountsFailed: 0,
        accountsSkipped: 0,
        keysFound: expectedRows(account, q, seededAt).length,
        rootKeysFound: 0,
      },
    });
    expect(
      lines.filter((l) => l.msg === 'scan finished').map((l) => (l.scan as { strategy: string }).strategy),
    ).toEqual(['list-users', 'credential-report', 'list-users']);
  });
});

describe('graceful shutdown of the API process', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 62, users: 100, now: seededAt });
  const q: KeyQuery = { hours: 0, includeInactive: false };
  // 30 ms per call, two at a time: the scan takes a second and a half.
  const emulator = new IamEmulator({ account, latencyMs: 30 });
  let api: SpawnedApi | undefined;

  afterAll(async () => {
    await killSpawned(api);
    await emulator.stop();
  });

  it(
    'on SIGTERM refuses new connections, finishes the running scan exactly, then exits 0',
    async () => {
      api = await spawnApi({
        AWS_ENDPOINT_URL_IAM: await emulator.start(),
        LOG_LEVEL: 'info',
        IAM_CONCURRENCY: '2',
        SCAN_CACHE_TTL_SECONDS: '0',
        RATE_LIMIT_PER_MINUTE: '0',
      });
      let answered = false;
      const inFlight = askOldKeys(api.url, 'list-users', q).finally(() => (answered = true));
      await until(() => (emulator.counters.requests.ListAccessKeys ?? 0) > 0, 'the scan to start');

      api.child.kill('SIGTERM');
      const url = api.url;
      await until(async () => !(await canConnect(url)), 'the listener to close');
      expect(answered).toBe(false);

      const { status, body } = await inFlight;
      expect(status).toBe(200);
      expect(keyRows(body)).toEqual(expectedRows(account, q, seededAt));
      expect(emulator.counters.requests).toEqual({
        GetCallerIdentity: 1,
        ListUsers: 1,
        ListAccessKeys: account.userCount,
      });
      expect(await api.exited).toBe(0);

      const lines = parseLogLines(api.stdout());
      expect(lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining([
          'Shutting down: draining 1 in-flight request(s), grace 25000 ms',
          'request completed',
          'Shut down cleanly',
        ]),
      );
      // Run open on purpose (the harness sets ALLOW_UNAUTHENTICATED=true), the API says so at boot.
      expect(lines).toContainEqual(
        expect.objectContaining({ level: LOG_LEVELS.warn, context: 'Auth', msg: OPEN_API_WARNING }),
      );
    },
    SLOW,
  );
});

describe('configuration errors stop the API process', () => {
  const bad: [string, string][] = [
    ['IAM_CONCURRENCY', 'abc'],
    ['PORT', '70000'],
    ['SCAN_CACHE_TTL_SECONDS', '-1'],
    ['API_TOKENS', 'e2e-too-short'],
  ];
  const runs = new Map<string, { code: number | null; output: string }>();
  const spawned: SpawnedApi[] = [];

  // Side by side: each process only boots far enough to reject its configuration.
  beforeAll(async () => {
    await Promise.all(
      bad.map(async ([name, value]) => {
        const api = await spawnApi({ [name]: value, AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9' });
        spawned.push(api);
        runs.set(name, { code: await api.exited, output: api.output() });
      }),
    );
  }, SLOW);
  afterAll(() => Promise.all(spawned.map(killSpawned)));

  it.each(bad)('%s=%s exits non-zero with a message naming the variable', (name) => {
    const run = runs.get(name);
    expect(run?.code).not.toBe(0);
    expect(run?.output).toContain(`${name} (`);
    expect(run?.output).not.toContain('Listening on');
  });

  it('fails closed: without API_TOKENS and without ALLOW_UNAUTHENTICATED=true it does not start', async () => {
    const api = await spawnApi({ ALLOW_UNAUTHENTICATED: '', AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9' });
    spawned.push(api);
    expect(await api.exited).toBe(1);
    expect(api.output()).toContain('API_TOKENS (unset): required;');
    expect(api.output()).toContain('ALLOW_UNAUTHENTICATED=true');
    expect(api.output()).not.toContain('Listening on');
  });

  it('does not echo the value of a secret variable', () => {
    expect(runs.get('API_TOKENS')?.output).toContain('API_TOKENS (value hidden)');
    expect(runs.get('API_TOKENS')?.output).not.toContain('e2e-too-short');
  });
});

describe('the store stops the API at boot with one plain line', () => {
  const spawned: SpawnedApi[] = [];
  afterAll(() => Promise.all(spawned.map(killSpawned)));

  it('an unreachable DATABASE_URL: the server named without its password, no stack', async () => {
    const api = await spawnApi({
      DATABASE_URL: 'postgres://monitor:never-printed@127.0.0.1:9/keys',
      AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9',
    });
    spawned.push(api);
    expect(await api.exited).toBe(1);
    expect(api.output().trim()).toBe(
      'Cannot connect to PostgreSQL at postgres://[redacted]@127.0.0.1:9/keys: connect ECONNREFUSED 127.0.0.1:9',
    );
  });

  it('DATA_DIR held by another API process: refused, naming DATA_DIR, the holder and DATABASE_URL', async () => {
    const { dir, remove } = await freshDataDir();
    try {
      const first = await spawnApi({ DATA_DIR: dir, AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9' });
      spawned.push(first);
      expect(first.child.exitCode).toBeNull();
      const second = await spawnApi({ DATA_DIR: dir, AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9' });
      spawned.push(second);
      expect(await second.exited).toBe(1);
      expect(second.output().trim()).toBe(
        `DATA_DIR ${dir} is in use by process ${first.child.pid} (lock file ${dir}/iam-key-monitor.lock): the embedded ` +
          'store is single-process; stop that process, or set DATABASE_URL (PostgreSQL) to run several processes',
      );
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
    } finally {
      remove();
    }
  });
});
