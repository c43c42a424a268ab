import type { IamConfig } from '../config/iam.config';

/** A fast, retry-free IAM config for unit specs; each spec overrides what it is about. */
export function testIamConfig(overrides: Partial<IamConfig> = {}): IamConfig {
  return {
    region: 'us-east-1',
    endpoint: undefined,
    maxAttempts: 1,
    requestTimeoutMs: 1000,
    connectionTimeoutMs: 1000,
    maxSockets: 10,
    concurrency: 3,
    throttleMaxWaitMs: 0,
    reportMaxWaitMs: 1000,
    reportPollIntervalMs: 100,
    scanCacheTtlMs: 0,
    scanMaxDurationMs: 60_000,
    ...overrides,
  };
}
