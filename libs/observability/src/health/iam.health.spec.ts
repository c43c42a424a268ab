import { HealthIndicatorService } from '@nestjs/terminus';
import { IamErrorCode, IamException, type IamClientProvider } from '@app/iam';
import { IamHealthIndicator } from './iam.health';

describe(IamHealthIndicator.name, () => {
  let sut: IamHealthIndicator;
  let iam: jest.Mocked<Pick<IamClientProvider, 'ping'>>;

  beforeEach(() => {
    iam = { ping: jest.fn() };
    sut = new IamHealthIndicator(new HealthIndicatorService(), iam as unknown as IamClientProvider);
  });

  it('is up with the latency when IAM answers', async () => {
    iam.ping.mockResolvedValue(undefined);
    expect(await sut.check('iam', { cacheMs: 0, timeoutMs: 1000 })).toEqual({
      iam: { status: 'up', latencyMs: expect.any(Number) as number },
    });
  });

  it('answers down IAM_TIMEOUT within its timeout when IAM never answers, and aborts the call', async () => {
    let signal: AbortSignal | undefined;
    iam.ping.mockImplementation((s) => {
      signal = s;
      return new Promise<void>(() => undefined); // a black hole that ignores the abort, too
    });

    const started = performance.now();
    const result = await sut.check('iam', { cacheMs: 0, timeoutMs: 200 });
    const elapsedMs = performance.now() - started;

    expect(result).toEqual({ iam: { status: 'down', reason: IamErrorCode.Timeout } });
    expect(signal?.aborted).toBe(true);
    expect(elapsedMs).toBeGreaterThanOrEqual(150);
    expect(elapsedMs).toBeLessThan(2000);
  });

  it('is down with the IAM error code, and shares an answer within the cache period', async () => {
    iam.ping.mockRejectedValue(new IamException(IamErrorCode.AccessDenied, 'denied', { action: 'ListUsers' }));
    const options = { cacheMs: 10_000, timeoutMs: 1000 };

    const first = await sut.check('iam', options, 1_000);
    const second = await sut.check('iam', options, 5_000);

    expect(first).toEqual({ iam: { status: 'down', reason: IamErrorCode.AccessDenied } });
    expect(second).toBe(first);
    expect(iam.ping).toHaveBeenCalledTimes(1);
  });
});
