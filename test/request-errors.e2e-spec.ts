import { seedAccount } from '@app/iam-emulator';
import { CREDENTIAL_REPORT_PATH, requestJson, type ErrorBody } from './support/api-client';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';

describe('requests the API refuses before any IAM call', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account: seedAccount({ seed: 41, users: 5 }) } });
  });
  afterAll(() => h?.close());
  afterEach(() => expect(h.emulator.counters.totalIamRequests).toBe(0));

  const post = (body: string, headers: Record<string, string>) =>
    requestJson<ErrorBody>(`${h.url}${CREDENTIAL_REPORT_PATH}`, { method: 'POST', headers, body });
  const json = { 'content-type': 'application/json' };

  it('a body over 16 kB is 413, not an unexpected 500', async () => {
    const { status, body } = await post(JSON.stringify({ hours: 24, pad: 'x'.repeat(20_000) }), json);
    expect(status).toBe(413);
    expect(body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'PAYLOAD_TOO_LARGE',
      message: 'request entity too large',
    });
  });

  it.each([
    ['an unsupported Content-Encoding', { ...json, 'content-encoding': 'x-unknown' }],
    ['an unsupported charset', { 'content-type': 'application/json; charset=latin1' }],
  ])('%s is 415, not an unexpected 500', async (_what, headers) => {
    const { status, body } = await post('{"hours":24}', headers);
    expect(status).toBe(415);
    expect(body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type', code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(body.error_id).toBeUndefined();
  });

  it('malformed JSON is 400 naming the body', async () => {
    const { status, body } = await post('{"hours":', json);
    expect(status).toBe(400);
    expect(body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: 'body must be valid JSON',
      fields: [{ field: 'body', messages: ['body must be valid JSON'] }],
    });
  });

  it('another content type is 400 naming Content-Type', async () => {
    const { status, body } = await post('hours=24', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(status).toBe(400);
    expect(body.fields).toEqual([
      { field: 'Content-Type', messages: ['Content-Type must be application/json with a JSON object body'] },
    ]);
  });

  it('a refused body still gets a request id and counts in the HTTP metrics', async () => {
    const res = await fetch(`${h.url}${CREDENTIAL_REPORT_PATH}`, {
      method: 'POST',
      headers: { ...json, 'x-request-id': 'bad-body-1' },
      body: '{"hours":',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toBe('bad-body-1');
    const metrics = await (await fetch(`${h.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /http_requests_total\{route="\/v1\/iam\/old-access-keys\/credential-report",method="POST",status="400"\} [1-9]/,
    );
  });
});

describe('a refused body behind API_TOKENS', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiOnEmulator({ env: { API_TOKENS: 'a-token-of-at-least-16-chars' } });
  });
  afterAll(() => h?.close());

  it('is 401 first: the token is checked before the body', async () => {
    const { status, body } = await requestJson<ErrorBody>(`${h.url}${CREDENTIAL_REPORT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hours=1',
    });
    expect(status).toBe(401);
    expect(body.code).toBe('UNAUTHORIZED');
  });
});
