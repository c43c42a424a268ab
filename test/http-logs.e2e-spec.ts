import { IamEmulator, seedAccount } from '@app/iam-emulator';
import { LIST_USERS_PATH } from './support/api-client';
import { killSpawned, spawnApi, type SpawnedApi } from './support/api-harness';
import { LOG_LEVELS, parseLogLines, type LogLine } from './support/log-lines';
import { exchangeRaw, parseRawResponse, sendRaw } from './support/raw-http';

const SLOW = 30_000;
const QUERY_TOKEN = 'e2e-query-token-0123456789';
const ENDPOINT_PASSWORD = 'e2e-s3cr3t-pass';

describe('what the API process logs about refused and redacted requests (LOG_LEVEL=info)', () => {
  const emulator = new IamEmulator({ account: seedAccount({ seed: 75, users: 5 }) });
  let api: SpawnedApi | undefined;
  let lines: LogLine[];
  let endpoint: string;
  let parserRefusalId: string;

  beforeAll(async () => {
    const { host } = new URL(await emulator.start(0, '127.0.0.1'));
    endpoint = `http://${host}`;
    api = await spawnApi({
      AWS_ENDPOINT_URL_IAM: `http://iam-user:${ENDPOINT_PASSWORD}@${host}`,
      LOG_LEVEL: 'info',
      SCAN_CACHE_TTL_SECONDS: '0',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    const query = await sendRaw(
      api.url,
      'GET',
      `${LIST_USERS_PATH}?hours=720&include_inactive=false&access_token=${QUERY_TOKEN}`,
      { 'x-request-id': 'query-token-1' },
    );
    expect(query.status).toBe(400);
    const scan = await sendRaw(api.url, 'GET', `${LIST_USERS_PATH}?hours=720`, { 'x-request-id': 'scan-1' });
    expect(scan.status).toBe(200);
    const bodyOnGet = await sendRaw(
      api.url,
      'GET',
      '/health/live',
      { 'content-type': 'application/json', 'x-request-id': 'body-on-get-1' },
      JSON.stringify({ pad: 'x'.repeat(200_000) }),
    );
    expect(bodyOnGet.status).toBe(400);
    const refused = parseRawResponse((await exchangeRaw(api.url, 'NOT HTTP AT ALL\r\n\r\n')).data);
    expect(refused.status).toBe(400);
    parserRefusalId = refused.headers['x-request-id'];

    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    lines = parseLogLines(api.stdout());
  }, SLOW);
  afterAll(async () => {
    await killSpawned(api);
    await emulator.stop();
  });

  const ofRequest = (id: string) => lines.filter((l) => l.req?.id === id);

  it('logs the API’s own query parameters and redacts the value of any other, ?access_token= included', () => {
    expect(ofRequest('query-token-1')).toEqual([
      expect.objectContaining({
        level: LOG_LEVELS.warn,
        msg: 'request completed',
        req: {
          id: 'query-token-1',
          method: 'GET',
          url: `${LIST_USERS_PATH}?hours=720&include_inactive=false&access_token=[redacted]`,
        },
        res: { statusCode: 400 },
      }),
    ]);
    expect(api?.output()).not.toContain(QUERY_TOKEN);
  });

  it('never logs the userinfo of the IAM endpoint', () => {
    expect(ofRequest('scan-1').map((l) => l.msg)).toContain(
      `IAM client created for endpoint ${endpoint.replace('//', '//[redacted]@')}`,
    );
    expect(api?.output()).not.toContain(ENDPOINT_PASSWORD);
  });

  it('logs a body on GET like any refused request: its id, at warn, no error line', () => {
    expect(ofRequest('body-on-get-1')).toEqual([
      expect.objectContaining({
        level: LOG_LEVELS.warn,
        msg: 'request completed',
        req: { id: 'body-on-get-1', method: 'GET', url: '/health/live' },
        res: { statusCode: 400 },
      }),
    ]);
    expect(lines.filter((l) => l.level >= LOG_LEVELS.error)).toEqual([]);
  });

  it('logs a request Node’s parser refused with the id its answer carried', () => {
    expect(ofRequest(parserRefusalId)).toEqual([
      expect.objectContaining({
        level: LOG_LEVELS.warn,
        context: 'HttpServer',
        msg: 'request refused by the HTTP parser',
        res: { statusCode: 400 },
      }),
    ]);
  });
});

describe('boot errors name the variable and keep secrets out', () => {
  const bad: [string, string, string][] = [
    [
      'AWS_ENDPOINT_URL_IAM',
      `ftp://iam-user:${ENDPOINT_PASSWORD}@iam.example.com`,
      '("ftp://[redacted]@iam.example.com")',
    ],
    ['TRUST_PROXY', 'true', '("true"): TRUST_PROXY must be false, a hop count'],
  ];
  const runs = new Map<string, { code: number | null; output: string }>();
  const spawned: SpawnedApi[] = [];

  beforeAll(async () => {
    await Promise.all(
      bad.map(async ([name, value]) => {
        const api = await spawnApi({ AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9', [name]: value });
        spawned.push(api);
        runs.set(name, { code: await api.exited, output: api.output() });
      }),
    );
  }, SLOW);
  afterAll(() => Promise.all(spawned.map(killSpawned)));

  it.each(bad)('%s=%s stops boot with a message naming it', (name, _value, shown) => {
    const run = runs.get(name);
    expect(run?.code).toBe(1);
    expect(run?.output).toContain(`${name} ${shown}`);
    expect(run?.output).not.toContain(ENDPOINT_PASSWORD);
    expect(run?.output).not.toContain('Listening on');
  });
});
