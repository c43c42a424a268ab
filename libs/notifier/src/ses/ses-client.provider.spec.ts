import { Logger } from '@nestjs/common';
import {
  BadRequestException,
  MessageRejected,
  SendEmailCommand,
  SESv2Client,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import type { ConfigType } from '@nestjs/config';
import { mockClient } from 'aws-sdk-client-mock';
import type { notifierConfig } from '../config/notifier.config';
import { NotifierErrorCode, NotifierException } from '../errors/notifier.exception';
import { SesClientProvider, type SesMessage } from './ses-client.provider';

const ses = mockClient(SESv2Client);

const config = {
  ses: {
    region: 'eu-west-1',
    concurrency: 2,
    maxPerSecond: 10,
    maxAttempts: 1,
    throttleRetries: 3,
    retryBaseMs: 1,
    requestTimeoutMs: 1000,
    connectionTimeoutMs: 1000,
  },
} as ConfigType<typeof notifierConfig>;

const message: SesMessage = {
  from: 'Key Monitor <keys@example.com>',
  to: ['alice@example.com'],
  subject: 'Rotate now',
  html: '<p>hi</p>',
  text: 'hi',
};

const throttled = () => new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} });

describe(SesClientProvider.name, () => {
  let sut: SesClientProvider;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    ses.reset();
    sut = new SesClientProvider(config);
  });

  afterEach(() => {
    sut.onModuleDestroy();
  });

  it('logs the SES endpoint it was pointed at without the userinfo in its URL', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const withUserinfo = new SesClientProvider({
      ...config,
      ses: { ...config.ses, endpoint: 'http://svc-user:s3cr3t-pass@127.0.0.1:4566' },
    });
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-1' });

    await withUserinfo.sendEmail(message);
    withUserinfo.onModuleDestroy();

    const logged = log.mock.calls.map((c) => String(c[0])).join('\n');
    expect(logged).toContain('SES client created for endpoint http://');
    expect(logged).toContain('127.0.0.1:4566');
    expect(logged).not.toMatch(/svc-user|s3cr3t-pass/);
  });

  it('sends one SendEmail with both parts from the configured sender', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-1' });

    await expect(sut.sendEmail(message)).resolves.toEqual({ messageId: 'msg-1' });

    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
      FromEmailAddress: 'Key Monitor <keys@example.com>',
      Destination: { ToAddresses: ['alice@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'Rotate now', Charset: 'UTF-8' },
          Body: { Html: { Data: '<p>hi</p>', Charset: 'UTF-8' }, Text: { Data: 'hi', Charset: 'UTF-8' } },
        },
      },
    });
  });

  it('retries a throttled send with backoff, then succeeds', async () => {
    ses
      .on(SendEmailCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))
      .resolvesOnce({ MessageId: 'msg-2' });

    await expect(sut.sendEmail(message)).resolves.toEqual({ messageId: 'msg-2' });

    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 3);
    expect(sut.throttles).toBe(2);
  });

  it('gives up after the throttle retry budget with a throttled error', async () => {
    ses.on(SendEmailCommand).rejects(throttled());

    const err = await sut.sendEmail(message).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(NotifierException);
    expect(err).toMatchObject({ code: NotifierErrorCode.SendThrottled, awsErrorName: 'TooManyRequestsException' });
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 4);
  });

  it('fails a permanently rejected message at once, without retrying', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: { httpStatusCode: 400 } }));

    await expect(sut.sendEmail(message)).rejects.toMatchObject({
      code: NotifierErrorCode.SendRejected,
      awsErrorName: 'MessageRejected',
      message: 'SES refused SendEmail (MessageRejected, HTTP 400)',
    });
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
  });

  it('reuses one client across sends', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    await sut.sendEmail(message);
    await sut.sendEmail(message);

    const clients = new Set(ses.commandCalls(SendEmailCommand).map((c) => c.thisValue as SESv2Client));
    expect(clients.size).toBe(1);
  });

  it('treats an unknown 5xx as a failed send', async () => {
    ses.on(SendEmailCommand).rejects(new BadRequestException({ message: 'x', $metadata: { httpStatusCode: 500 } }));

    await expect(sut.sendEmail(message)).rejects.toMatchObject({ code: NotifierErrorCode.SendFailed });
  });
});
