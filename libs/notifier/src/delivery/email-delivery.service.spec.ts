import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { notifierConfig } from '../config/notifier.config';
import type { EmailDriver } from '../drivers/email-driver.interface';
import { NotifierErrorCode, NotifierException } from '../errors/notifier.exception';
import type { OutgoingEmail } from '../notifier.types';
import { EmailDeliveryService } from './email-delivery.service';

const email = (to: string): OutgoingEmail => ({
  kind: 'owner',
  to,
  subject: 's',
  html: 'h',
  text: 't',
  accessKeyIds: [],
});

describe(EmailDeliveryService.name, () => {
  let driver: jest.Mocked<EmailDriver>;
  let sut: EmailDeliveryService;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    driver = { kind: 'ses', deliver: jest.fn() };
    sut = new EmailDeliveryService(driver, { ses: { concurrency: 2 } } as ConfigType<typeof notifierConfig>);
  });

  it('keeps delivering after one recipient fails, and reports each outcome in order', async () => {
    driver.deliver.mockImplementation((e) =>
      e.to === 'bad@example.com'
        ? Promise.reject(
            new NotifierException(NotifierErrorCode.SendRejected, 'SES refused SendEmail (MessageRejected)'),
          )
        : Promise.resolve({ messageId: `id-${e.to}` }),
    );

    const results = await sut.deliverAll([email('a@example.com'), email('bad@example.com'), email('c@example.com')]);

    expect(results.map((r) => [r.email.to, r.ok, r.messageId ?? r.error])).toEqual([
      ['a@example.com', true, 'id-a@example.com'],
      ['bad@example.com', false, 'SES refused SendEmail (MessageRejected)'],
      ['c@example.com', true, 'id-c@example.com'],
    ]);
  });

  it('never has more sends in flight than the configured concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    driver.deliver.mockImplementation(async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return {};
    });

    await sut.deliverAll(Array.from({ length: 7 }, (_, i) => email(`u${i}@example.com`)));

    expect(peak).toBe(2);
    expect(driver.deliver).toHaveBeenCalledTimes(7);
  });

  it('hands each result to afterEach as it comes, and sends nothing more once afterEach failed', async () => {
    driver.deliver.mockImplementation((e) => Promise.resolve({ messageId: `id-${e.to}` }));
    const seen: string[] = [];
    const afterEach = jest.fn((r: { email: OutgoingEmail }) => {
      seen.push(r.email.to);
      return r.email.to === 'b@example.com' ? Promise.reject(new Error('store down')) : Promise.resolve();
    });

    await expect(
      sut.deliverAll(
        [email('a@example.com'), email('b@example.com'), email('c@example.com'), email('d@example.com')],
        afterEach,
      ),
    ).rejects.toThrow('store down');

    // Concurrency 2: a and b were in flight; once recording b failed, c and d were not sent.
    expect(driver.deliver.mock.calls.map(([e]) => e.to)).toEqual(['a@example.com', 'b@example.com']);
    expect(seen).toEqual(['a@example.com', 'b@example.com']);
  });
});
