import { DEFAULT_ACCOUNT_ID, IamEmulator, seedAccount } from '@app/iam-emulator';
import { askOldKeys, keyRows, requestJson, type ErrorBody, type KeyQuery } from './support/api-client';
import { killSpawned, spawnApi, startApiOnEmulator, type ApiHarness, type SpawnedApi } from './support/api-harness';
import { expectedRows, wholeSecondNow } from './support/expected-keys';

const SLOW = 60_000;

/** The answer and how long it took to come (ms). */
async function timed<T>(request: () => Promise<T>): Promise<{ res: T; elapsedMs: number }> {
  const started = performance.now();
  const res = await request();
  return { res, elapsedMs: performance.now() - started };
}

/** The own account's timeout, as the one account scanned: its error, and the accounts list naming it. */
const gatewayTimeout = (message: string, action: string): ErrorBody => ({
  statusCode: 504,
  error: 'Gateway Timeout',
  code: 'IAM_TIMEOUT',
  message,
  action,
  accounts: [{ account_id: DEFAULT_ACCOUNT_ID, status: 'failed', code: 'IAM_TIMEOUT', message, action }],
});

describe('IAM slower than IAM_REQUEST_TIMEOUT_MS (2,500 ms per call against a 1,000 ms timeout)', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 41, users: 5, now: seededAt });
  const q: KeyQuery = { hours: 0, includeInactive: true };
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account, latencyMs: 2500 },
      env: { IAM_REQUEST_TIMEOUT_MS: '1000', IAM_MAX_ATTEMPTS: '2', SCAN_CACHE_TTL_SECONDS: '0' },
    });
  });
  afterAll(() => h?.close());

  it.each([
    ['list-users', 'ListUsers'],
    ['credential-report', 'GenerateCredentialReport'],
  ] as const)(
    '%s answers 504 IAM_TIMEOUT naming %s after its bounded attempts',
    async (route, action) => {
      h.emulator.resetCounters();
      const { res, elapsedMs } = await timed(() => askOldKeys<ErrorBody>(h.url, route, q));

      expect(res.status).toBe(504);
      expect(res.body).toEqual(gatewayTimeout(`IAM did not answer ${action} in time`, action));
      expect(h.emulator.counters.requests).toEqual({ [action]: 2 }); // IAM_MAX_ATTEMPTS, then no further call
      // Two attempts of 1 s each and the SDK's backoff between them; far less than one 2.5 s answer per attempt.
      expect(elapsedMs).toBeGreaterThanOrEqual(1900);
      expect(elapsedMs).toBeLessThan(4900);
    },
    SLOW,
  );
});

describe('IAM that never answers (a black hole), with SCAN_MAX_DURATION_MS=1500', () => {
  const seededAt = wholeSecondNow();
  const account = seedAccount({ seed: 42, users: 30, now: seededAt });
  const q: KeyQuery = { hours: 0, includeInactive: true };
  const message = 'The scan did not finish within SCAN_MAX_DURATION_MS (1500 ms); ListAccessKeys was running';
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account },
      env: {
        // Only the scan deadline and the probe's own bound can end a held call here.
        IAM_REQUEST_TIMEOUT_MS: '120000',
        SCAN_MAX_DURATION_MS: '1500',
        READINESS_TIMEOUT_MS: '500',
        READINESS_CACHE_SECONDS: '0',
        SCAN_CACHE_TTL_SECONDS: '60',
      },
    });
  });
  afterAll(() => h?.close());
  afterEach(() => h.emulator.faults.hang.clear());

  it(
    'answers the shared scan and its followers 504 by the deadline, even those sent after IAM recovered; the next request scans afresh',
    async () => {
      h.emulator.faults.hang.add('ListAccessKeys');
      const started = performance.now();
      const first = timed(() => askOldKeys<ErrorBody>(h.url, 'list-users', q));
      await new Promise((r) => setTimeout(r, 300));
      const follower = timed(() => askOldKeys<ErrorBody>(h.url, 'list-users', { hours: 720, includeInactive: false }));
      await new Promise((r) => setTimeout(r, 300));
      h.emulator.faults.hang.clear(); // IAM recovered; this request still joins the running (held) scan
      const afterRecovery = timed(() => askOldKeys<ErrorBody>(h.url, 'list-users', q));

      const answers = await Promise.all([first, follower, afterRecovery]);
      const lastAnsweredMs = performance.now() - started;

      for (const { res } of answers) {
        expect(res.status).toBe(504);
        expect(res.body).toEqual(gatewayTimeout(message, 'ListAccessKeys'));
      }
      expect(answers[0].elapsedMs).toBeGreaterThanOrEqual(1400);
      expect(lastAnsweredMs).toBeLessThan(5000); // all by the one deadline, not one each
      expect(h.emulator.counters.requests.ListUsers).toBe(1);

      const fresh = await askOldKeys(h.url, 'list-users', q);
      expect(fresh.status).toBe(200);
      expect(keyRows(fresh.body)).toEqual(expectedRows(account, q, seededAt));
    },
    SLOW,
  );

  it(
    'readiness answers 503 IAM_TIMEOUT within READINESS_TIMEOUT_MS while liveness stays 200',
    async () => {
      h.emulator.faults.hang.add('ListUsers');
      const ready = await timed(() => requestJson<unknown>(`${h.url}/health/ready`));
      const live = await requestJson<unknown>(`${h.url}/health/live`);

      const down = { iam: { status: 'down', reason: 'IAM_TIMEOUT' } };
      // The store is not IAM: it stays up.
      const store = { store: { status: 'up', engine: 'pglite' } };
      expect(ready.res.status).toBe(503);
      expect(ready.res.body).toEqual({ status: 'error', info: store, error: down, details: { ...down, ...store } });
      expect(ready.elapsedMs).toBeGreaterThanOrEqual(400);
      expect(ready.elapsedMs).toBeLessThan(3000);
      expect(live.status).toBe(200);

      h.emulator.faults.hang.clear();
      expect((await requestJson<unknown>(`${h.url}/health/ready`)).status).toBe(200);
    },
    SLOW,
  );
});

describe('a timed-out IAM call as its own process', () => {
  let emulator: IamEmulator;
  let api: SpawnedApi | undefined;

  beforeAll(async () => {
    emulator = new IamEmulator({
      account: seedAccount({ seed: 43, users: 3 }),
      faults: { hang: new Set(['ListUsers']) },
    });
    await emulator.start(0, '127.0.0.1');
  });
  afterAll(async () => {
    await killSpawned(api);
    await emulator.stop();
  });

  it(
    'answers 504 and logs JSON lines only (no bare warning from the HTTP library)',
    async () => {
      api = await spawnApi({
        AWS_ENDPOINT_URL_IAM: emulator.url,
        LOG_LEVEL: 'info',
        IAM_REQUEST_TIMEOUT_MS: '300',
        IAM_MAX_ATTEMPTS: '2',
      });
      const { status, body } = await askOldKeys<ErrorBody>(api.url, 'list-users', { hours: 0, includeInactive: true });
      expect(status).toBe(504);
      expect(body).toEqual(gatewayTimeout('IAM did not answer ListUsers in time', 'ListUsers'));

      api.child.kill('SIGTERM');
      await api.exited;
      const lines = api
        .stdout()
        .split('\n')
        .filter((line) => line.trim() !== '');
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((line) => !isJson(line))).toEqual([]);
      expect(api.output()).not.toContain('@smithy/node-http-handler');
      expect(lines.some((line) => line.includes('"code":"IAM_TIMEOUT"'))).toBe(true);
    },
    SLOW,
  );
});

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}
