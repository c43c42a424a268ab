import { validateEnv } from '@app/platform';
import { iamConfig } from '@app/iam';
import { ApiEnv, apiConfig } from './api.config';

describe('api configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('has production defaults', () => {
    process.env = { PATH: saved.PATH, API_TOKENS: 'aaaaaaaaaaaaaaaa' };
    expect(apiConfig()).toEqual({
      port: 3000,
      host: '0.0.0.0',
      env: 'production',
      logLevel: 'info',
      shutdownGraceMs: 25_000,
      apiTokens: ['aaaaaaaaaaaaaaaa'],
      allowUnauthenticated: false,
      authFailuresPerMinute: 10,
      authLockoutMs: 900_000,
      metricsPort: 9464,
      rateLimitPerMinute: 120,
      readinessCacheMs: 10_000,
      readinessTimeoutMs: 3_000,
      livenessMaxEventLoopLagMs: 5_000,
      trustProxy: false,
      http: {
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 65_000,
        maxConnections: 1_000,
        maxHeadersCount: 100,
      },
    });
  });

  it('splits API_TOKENS and refuses short ones, naming the variable', () => {
    expect(validateEnv(ApiEnv, { API_TOKENS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb' }).API_TOKENS).toEqual([
      'aaaaaaaaaaaaaaaa',
      'bbbbbbbbbbbbbbbb',
    ]);
    expect(() => validateEnv(ApiEnv, { API_TOKENS: 'short' })).toThrow(/API_TOKENS .*at least 16 characters/);
  });

  it.each([undefined, '', ' , '])(
    'fails closed: API_TOKENS=%p without ALLOW_UNAUTHENTICATED stops the API',
    (tokens) => {
      process.env = { PATH: saved.PATH, ...(tokens === undefined ? {} : { API_TOKENS: tokens }) };
      expect(() => apiConfig()).toThrow(
        'Invalid configuration:\n  - API_TOKENS (unset): required; set the bearer tokens /v1 accepts, or ALLOW_UNAUTHENTICATED=true to run /v1 open on purpose',
      );
      process.env.ALLOW_UNAUTHENTICATED = 'false';
      expect(() => apiConfig()).toThrow(/API_TOKENS \(unset\): required/);
    },
  );

  it('runs open only when ALLOW_UNAUTHENTICATED=true says so', () => {
    process.env = { PATH: saved.PATH, ALLOW_UNAUTHENTICATED: 'true' };
    expect(apiConfig()).toMatchObject({ apiTokens: [], allowUnauthenticated: true });
    process.env.ALLOW_UNAUTHENTICATED = 'maybe';
    expect(() => apiConfig()).toThrow(/ALLOW_UNAUTHENTICATED \("maybe"\): ALLOW_UNAUTHENTICATED must be true or false/);
  });

  it('keeps METRICS_PORT apart from PORT', () => {
    process.env = { PATH: saved.PATH, API_TOKENS: 'aaaaaaaaaaaaaaaa', PORT: '8080', METRICS_PORT: '8080' };
    expect(() => apiConfig()).toThrow(/METRICS_PORT \(8080\): must differ from PORT/);
  });

  it.each([
    ['PORT', '70000'],
    ['AUTH_FAILURES_PER_MINUTE', '-1'],
    ['AUTH_LOCKOUT_SECONDS', '0'],
    ['METRICS_PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['RATE_LIMIT_PER_MINUTE', '-1'],
  ])('stops on a bad %s', (name, value) => {
    process.env = { PATH: saved.PATH, API_TOKENS: 'aaaaaaaaaaaaaaaa', [name]: value };
    expect(() => apiConfig()).toThrow(new RegExp(`^Invalid configuration:\\n  - ${name} `));
  });

  it.each([
    ['IAM_CONCURRENCY', '0'],
    ['IAM_REQUEST_TIMEOUT_MS', 'soon'],
    ['AWS_ENDPOINT_URL_IAM', 'not a url'],
    ['SCAN_CACHE_TTL_SECONDS', '1.5'],
  ])('the IAM namespace stops on a bad %s', (name, value) => {
    process.env = { PATH: saved.PATH, [name]: value };
    expect(() => iamConfig()).toThrow(new RegExp(`${name} `));
  });

  it('prefers the IAM-specific endpoint over the general one', () => {
    process.env = {
      PATH: saved.PATH,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:2',
    };
    expect(iamConfig().endpoint).toBe('http://127.0.0.1:2');
  });
});

describe('TRUST_PROXY', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['1', 1],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
  ])('reads %p as %p', (raw, trustProxy) => {
    process.env = {
      PATH: saved.PATH,
      API_TOKENS: 'aaaaaaaaaaaaaaaa',
      ...(raw === undefined ? {} : { TRUST_PROXY: raw }),
    };
    expect(apiConfig().trustProxy).toEqual(trustProxy);
  });

  it.each(['true', 'all the proxies!', '10.0.0.0/33', '10.0.0.1/255.0.0', 'loopback, ingress', '10.0.0.0/8/8'])(
    'refuses %p at validation, naming the variable, instead of letting Express stop boot',
    (raw) => {
      process.env = { PATH: saved.PATH, ALLOW_UNAUTHENTICATED: 'true', TRUST_PROXY: raw };
      expect(() => apiConfig()).toThrow(/TRUST_PROXY .*must be false, a hop count/);
    },
  );

  it.each(['10.0.0.0/255.0.0.0', 'fd00::/8, 127.0.0.1', 'linklocal,uniquelocal'])('accepts %p', (raw) => {
    process.env = { PATH: saved.PATH, ALLOW_UNAUTHENTICATED: 'true', TRUST_PROXY: raw };
    expect(apiConfig().trustProxy).toBe(raw);
  });
});

describe('HTTP server limits', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads every limit', () => {
    process.env = {
      PATH: saved.PATH,
      ALLOW_UNAUTHENTICATED: 'true',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '5000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      HTTP_MAX_CONNECTIONS: '50',
      HTTP_MAX_HEADERS_COUNT: '40',
    };
    expect(apiConfig().http).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      keepAliveTimeoutMs: 1000,
      maxConnections: 50,
      maxHeadersCount: 40,
    });
  });

  it.each([
    ['HTTP_HEADERS_TIMEOUT_MS', '50'],
    ['HTTP_REQUEST_TIMEOUT_MS', 'soon'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '-1'],
    ['HTTP_MAX_CONNECTIONS', '0'],
    ['HTTP_MAX_HEADERS_COUNT', '5000'],
  ])('stops on a bad %s', (name, value) => {
    process.env = { PATH: saved.PATH, ALLOW_UNAUTHENTICATED: 'true', [name]: value };
    expect(() => apiConfig()).toThrow(new RegExp(`^Invalid configuration:\\n  - ${name} `));
  });

  it('refuses a headers timeout longer than the request timeout, naming both', () => {
    process.env = {
      PATH: saved.PATH,
      ALLOW_UNAUTHENTICATED: 'true',
      HTTP_HEADERS_TIMEOUT_MS: '20000',
      HTTP_REQUEST_TIMEOUT_MS: '10000',
    };
    expect(() => apiConfig()).toThrow(
      'HTTP_HEADERS_TIMEOUT_MS (20000): must not exceed HTTP_REQUEST_TIMEOUT_MS (10000)',
    );
  });
});
