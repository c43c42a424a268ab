import { validateEnv } from '@app/platform';
import { iamConfig } from '@app/iam';
import { ApiEnv, apiConfig } from './api.config';

describe('api configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('has production defaults', () => {
    process.env = { PATH: saved.PATH };
    expect(apiConfig()).toEqual({
      port: 3000,
      host: '0.0.0.0',
      env: 'production',
      logLevel: 'info',
      shutdownGraceMs: 25_000,
      apiTokens: [],
      rateLimitPerMinute: 120,
      readinessCacheMs: 10_000,
      trustProxy: false,
    });
  });

  it('splits API_TOKENS and refuses short ones, naming the variable', () => {
    expect(validateEnv(ApiEnv, { API_TOKENS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb' }).API_TOKENS).toEqual([
      'aaaaaaaaaaaaaaaa',
      'bbbbbbbbbbbbbbbb',
    ]);
    expect(() => validateEnv(ApiEnv, { API_TOKENS: 'short' })).toThrow(/API_TOKENS .*at least 16 characters/);
  });

  it.each([
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['RATE_LIMIT_PER_MINUTE', '-1'],
  ])('stops on a bad %s', (name, value) => {
    process.env = { PATH: saved.PATH, [name]: value };
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
    process.env = { PATH: saved.PATH, ...(raw === undefined ? {} : { TRUST_PROXY: raw }) };
    expect(apiConfig().trustProxy).toEqual(trustProxy);
  });

  it('refuses anything else, naming the variable', () => {
    process.env = { PATH: saved.PATH, TRUST_PROXY: 'all the proxies!' };
    expect(() => apiConfig()).toThrow(/TRUST_PROXY .*must be false, a hop count/);
  });
});
