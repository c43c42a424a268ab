import {
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  ListUsersCommand,
  type IAMClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-iam';
import { Logger } from '@nestjs/common';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { EMULATOR_AWS_ENV, expectedOldKeys, IamEmulator, seedAccount, setEnv } from '@app/iam-emulator';
import type { IamConfig } from '../config/iam.config';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import { AdaptiveRateGovernor } from '../scan/adaptive-rate.governor';
import { IamCallMeter, meterStorage } from '../scan/iam-call-meter';
import { ListUsersStrategy } from '../strategies/list-users.strategy';
import { IamClientProvider } from './iam-client.provider';
import { testIamConfig } from '../testing/iam-config.fixture';

const baseConfig: IamConfig = testIamConfig({
  requestTimeoutMs: 5000,
  maxSockets: 20,
  concurrency: 10,
  throttleMaxWaitMs: 60_000,
});

const throttling = (attempts: number) =>
  new IAMServiceException({
    name: 'Throttling',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, attempts },
    message: 'Rate exceeded',
  });

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe(`${IamClientProvider.name} under throttling`, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  describe('against the emulator with a rate limit', () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const account = seedAccount({ seed: 11, users: 200, now, youngUserFraction: 0 });
    let emulator: IamEmulator;
    let governor: AdaptiveRateGovernor;
    let sut: IamClientProvider;
    let restoreEnv: () => void;

    beforeAll(async () => {
      restoreEnv = setEnv(EMULATOR_AWS_ENV);
      emulator = new IamEmulator({ account, rateLimit: { ratePerSecond: 200, burst: 2 }, latencyMs: [1, 3] });
      const endpoint = await emulator.start();
      governor = new AdaptiveRateGovernor();
      // One SDK attempt per call: every throttle has to be absorbed by the governor and the outer retry.
      sut = new IamClientProvider({ ...baseConfig, endpoint }, undefined, governor);
    });

    afterAll(async () => {
      await sut?.onModuleDestroy();
      await emulator?.stop();
      restoreEnv();
    });

    it('returns every key with zero failures, and meters each throttled attempt exactly once', async () => {
      const strategy = new ListUsersStrategy(sut, baseConfig, { now: () => now });

      const result = await strategy.scan({ hours: 0, includeInactive: true });

      expect(result.keys).toEqual(expectedOldKeys(account, { hours: 0, includeInactive: true, now }));
      const throttled = sum(emulator.counters.throttled);
      expect(throttled).toBeGreaterThan(0);
      expect(emulator.counters.totalErrors).toBe(throttled);
      expect(result.stats.throttles).toBe(throttled);
      expect(result.stats.retries).toBe(throttled);
      expect(sum(result.stats.callsByAction)).toBe(emulator.counters.totalIamRequests);
      expect(governor.snapshot()).toMatchObject({
        throttled,
        sent: emulator.counters.totalIamRequests,
        answered: emulator.counters.totalIamRequests - throttled,
      });
      expect(governor.ratePerSecond).toBeLessThan(Infinity);
    }, 30_000);
  });

  describe('after the SDK gives up', () => {
    let iamMock: AwsStub<ServiceInputTypes, ServiceOutputTypes, IAMClientResolvedConfig>;
    let sut: IamClientProvider;

    // Created here, not at collection time, so the emulator tests above run the real SDK stack.
    beforeAll(() => {
      iamMock = mockClient(IAMClient);
    });

    afterAll(() => {
      iamMock.restore();
    });

    beforeEach(() => {
      iamMock.reset();
    });

    afterEach(async () => {
      await sut.onModuleDestroy();
    });

    it('keeps retrying a throttled call and counts every SDK and outer retry', async () => {
      sut = new IamClientProvider({ ...baseConfig, maxAttempts: 3 });
      iamMock
        .on(ListAccessKeysCommand)
        .rejectsOnce(throttling(3))
        .rejectsOnce(throttling(3))
        .rejectsOnce(throttling(3))
        .resolves({
          AccessKeyMetadata: [
            { UserName: 'alice', AccessKeyId: 'AKIAALICE1', Status: 'Active', CreateDate: new Date(0) },
          ],
          $metadata: { attempts: 2 },
        });
      const meter = new IamCallMeter();

      const keys = await meterStorage.run(meter, () => sut.listAccessKeys('alice'));

      expect(keys.map((k) => k.accessKeyId)).toEqual(['AKIAALICE1']);
      expect(iamMock).toHaveReceivedCommandTimes(ListAccessKeysCommand, 4);
      // 2 SDK retries in each of 3 failed sends, 1 in the last, and 3 outer retries.
      expect(meter.retries).toBe(2 * 3 + 1 + 3);
    });

    it('gives up with Throttled once the wait budget is spent', async () => {
      sut = new IamClientProvider({ ...baseConfig, throttleMaxWaitMs: 0 });
      iamMock.on(ListAccessKeysCommand).rejects(throttling(1));

      const err: unknown = await sut.listAccessKeys('alice').catch((e: unknown) => e);

      expect(err).toBeInstanceOf(IamException);
      expect(err).toMatchObject({ code: IamErrorCode.Throttled, action: 'ListAccessKeys' });
      expect(iamMock).toHaveReceivedCommandTimes(ListAccessKeysCommand, 1);
    });

    it('never retries a readiness ping, so a probe does not hang on a busy account', async () => {
      sut = new IamClientProvider(baseConfig);
      iamMock.on(ListUsersCommand).rejects(throttling(1));

      await expect(sut.ping()).rejects.toMatchObject({ code: IamErrorCode.Throttled });
      expect(iamMock).toHaveReceivedCommandTimes(ListUsersCommand, 1);
    });
  });
});
