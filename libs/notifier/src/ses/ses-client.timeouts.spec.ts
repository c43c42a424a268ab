import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EMULATOR_AWS_ENV, IamEmulator, setEnv } from '@app/iam-emulator';
import type { notifierConfig } from '../config/notifier.config';
import { NotifierErrorCode, NotifierException } from '../errors/notifier.exception';
import { SesClientProvider } from './ses-client.provider';

/** Over real HTTP to the emulator's SES, which holds SendEmail unanswered. */
describe(`${SesClientProvider.name} timeouts`, () => {
  let restoreEnv: () => void;
  let emulator: IamEmulator;
  let sut: SesClientProvider;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    restoreEnv = setEnv(EMULATOR_AWS_ENV);
    emulator = new IamEmulator({ faults: { hang: new Set(['SendEmail']) } });
    const endpoint = await emulator.start();
    sut = new SesClientProvider({
      ses: {
        region: 'eu-west-1',
        endpoint,
        concurrency: 2,
        maxPerSecond: 1000,
        maxAttempts: 2,
        throttleRetries: 5,
        retryBaseMs: 1,
        requestTimeoutMs: 300,
        connectionTimeoutMs: 1000,
      },
    } as ConfigType<typeof notifierConfig>);
  });

  afterAll(async () => {
    sut?.onModuleDestroy();
    await emulator?.stop();
    restoreEnv();
  });

  it('fails a send SES never answers after NOTIFIER_SES_MAX_ATTEMPTS bounded attempts, naming the timeout', async () => {
    const started = performance.now();
    const err = await sut
      .sendEmail({ from: 'keys@example.com', to: ['a@example.com'], subject: 's', html: '<p>h</p>', text: 'h' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const elapsedMs = performance.now() - started;

    expect(err).toBeInstanceOf(NotifierException);
    expect(err).toMatchObject({
      code: NotifierErrorCode.SendFailed,
      awsErrorName: 'TimeoutError',
      message: 'SES did not answer SendEmail within NOTIFIER_SES_REQUEST_TIMEOUT_MS (300 ms)',
    });
    expect(emulator.counters.requests.SendEmail).toBe(2);
    expect(elapsedMs).toBeGreaterThanOrEqual(2 * 250);
    expect(elapsedMs).toBeLessThan(5000);
    expect(emulator.sentEmails).toEqual([]);
  });
});
