import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EMULATOR_AWS_ENV, IamEmulator, setEnv } from '@app/iam-emulator';
import type { notifierConfig } from '../config/notifier.config';
import { SendRatePacer } from '../delivery/send-rate-pacer';
import { SesClientProvider, type SesMessage } from './ses-client.provider';

const message = (to: string): SesMessage => ({
  from: 'Key Monitor <keys@example.com>',
  to: [to],
  subject: 'Rotate now',
  html: '<p>hi</p>',
  text: 'hi',
});

/** Over real HTTP to the emulator's SES: the pace applies to every attempt, not once per message. */
describe(`${SesClientProvider.name} pacing`, () => {
  let restoreEnv: () => void;
  let emulator: IamEmulator;
  let sut: SesClientProvider;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    restoreEnv = setEnv(EMULATOR_AWS_ENV);
    emulator = new IamEmulator();
    const endpoint = await emulator.start();
    sut = new SesClientProvider({
      ses: {
        region: 'eu-west-1',
        endpoint,
        concurrency: 4,
        maxPerSecond: 1000,
        maxAttempts: 2,
        throttleRetries: 5,
        retryBaseMs: 1,
        requestTimeoutMs: 2000,
        connectionTimeoutMs: 1000,
      },
    } as ConfigType<typeof notifierConfig>);
  });

  afterAll(async () => {
    sut?.onModuleDestroy();
    await emulator?.stop();
    restoreEnv();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("takes a turn at the send rate for every attempt, the SDK's retries and its own included", async () => {
    const acquire = jest.spyOn(SendRatePacer.prototype, 'acquire');
    emulator.faults.throttleSendEmail = 5;

    const receipts = await Promise.all(
      ['a@example.com', 'b@example.com', 'c@example.com'].map((to) => sut.sendEmail(message(to))),
    );

    expect(receipts.map((r) => r.messageId)).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
    expect(emulator.counters.requests.SendEmail).toBe(3 + 5);
    expect(emulator.counters.throttled.SendEmail).toBe(5);
    expect(acquire).toHaveBeenCalledTimes(3 + 5);
    expect(emulator.sentEmails.map((e) => e.to).sort()).toEqual([
      ['a@example.com'],
      ['b@example.com'],
      ['c@example.com'],
    ]);
  });
});
