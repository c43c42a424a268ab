import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { IamErrorCode, IamException, type ListUsersStrategy, type OldAccessKey, type ScanResult } from '@app/iam';
import type { notifierConfig } from '../config/notifier.config';
import type { EmailDeliveryService } from '../delivery/email-delivery.service';
import type { EmailDriver } from '../drivers/email-driver.interface';
import { DAY_MS } from '../notifier.constants';
import type { DeliveryResult, OutgoingEmail, OwnerResolution } from '../notifier.types';
import type { OwnerResolverService } from '../owners/owner-resolver.service';
import { RotationNotifierJob } from './rotation-notifier.job';

const now = new Date('2026-11-23T12:00:00Z');
const key = (userName: string, accessKeyId: string, ageDays: number): OldAccessKey => ({
  userName,
  accessKeyId,
  status: 'Active',
  createdDate: new Date(now.getTime() - ageDays * DAY_MS),
  ageHours: ageDays * 24,
});

function scanOf(keys: OldAccessKey[]): ScanResult {
  return {
    source: 'list-users',
    keys,
    rootKeys: [],
    dataReadAt: now,
    stats: {
      usersSeen: 4,
      usersSkippedYoung: 0,
      usersVanished: 0,
      callsByAction: {},
      throttles: 0,
      retries: 0,
      peakInFlight: 1,
      durationMs: 1,
    },
  };
}

const config = {
  warnAgeDays: 15,
  expireAgeDays: 20,
  includeInactive: false,
  fallbackRecipients: ['sec@example.com'],
  partition: 'aws',
} as ConfigType<typeof notifierConfig>;

describe(RotationNotifierJob.name, () => {
  let scanner: jest.Mocked<Pick<ListUsersStrategy, 'scan'>>;
  let owners: jest.Mocked<Pick<OwnerResolverService, 'resolve'>>;
  let delivery: {
    driver: Pick<EmailDriver, 'kind'>;
    deliverAll: jest.MockedFunction<EmailDeliveryService['deliverAll']>;
  };
  let logged: unknown[];
  let errorLog: jest.SpyInstance;
  let sut: RotationNotifierJob;

  beforeEach(() => {
    logged = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation((m: unknown) => void logged.push(m));
    errorLog = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    scanner = {
      scan: jest
        .fn()
        .mockResolvedValue(scanOf([key('old', 'AKIA1', 25), key('mid', 'AKIA2', 16), key('young', 'AKIA3', 3)])),
    };
    owners = {
      resolve: jest.fn().mockResolvedValue(
        new Map<string, OwnerResolution>([
          ['old', { kind: 'owner', address: 'old@example.com' }],
          ['mid', { kind: 'fallback', reason: 'invalid-address', value: 'mid' }],
        ]),
      ),
    };
    delivery = {
      driver: { kind: 'ses' },
      deliverAll: jest.fn((emails: readonly OutgoingEmail[]) =>
        Promise.resolve(emails.map((email): DeliveryResult => ({ email, ok: true }))),
      ),
    };
    sut = new RotationNotifierJob(
      scanner as unknown as ListUsersStrategy,
      owners as unknown as OwnerResolverService,
      delivery as unknown as EmailDeliveryService,
      config,
    );
  });

  it('scans every key, notifies the old ones and logs one summary with exit code 0', async () => {
    const summary = await sut.run();

    expect(scanner.scan).toHaveBeenCalledWith({ hours: 0, includeInactive: false });
    expect(owners.resolve).toHaveBeenCalledWith(['old', 'mid']);
    expect(delivery.deliverAll.mock.calls[0][0].map((e) => [e.kind, e.to])).toEqual([
      ['owner', 'old@example.com'],
      ['fallback', 'sec@example.com'],
      ['digest', 'sec@example.com'],
    ]);
    expect(summary).toMatchObject({
      event: 'notifier.summary',
      driver: 'ses',
      usersSeen: 4,
      keysSeen: 3,
      warned: 1,
      expired: 1,
      invalidOwners: 1,
      ownersWithoutTag: 0,
      ownerLookupsFailed: 0,
      emailsPlanned: 3,
      emailsSent: 3,
      emailsFailed: 0,
      emailsSkipped: 0,
      exitCode: 0,
    });
    expect(logged).toEqual([{ msg: 'The notifier run finished', ...summary }]);
  });

  it('exits 1 when one email failed, after still sending the others', async () => {
    delivery.deliverAll.mockImplementation((emails) =>
      Promise.resolve(emails.map((email, i) => ({ email, ok: i !== 0, error: i === 0 ? 'rejected' : undefined }))),
    );

    const summary = await sut.run();

    expect(summary).toMatchObject({ emailsSent: 2, emailsFailed: 1, exitCode: 1 });
  });

  it("exits 1 when an owner tag could not be read, after sending that user's keys to the fallback recipients", async () => {
    owners.resolve.mockResolvedValue(
      new Map<string, OwnerResolution>([
        ['old', { kind: 'fallback', reason: 'lookup-failed', error: 'IAM denied ListUserTags' }],
        ['mid', { kind: 'owner', address: 'mid@example.com' }],
      ]),
    );

    const summary = await sut.run();

    expect(delivery.deliverAll.mock.calls[0][0].map((e) => [e.kind, e.to])).toEqual([
      ['owner', 'mid@example.com'],
      ['fallback', 'sec@example.com'],
      ['digest', 'sec@example.com'],
    ]);
    expect(summary).toMatchObject({ ownerLookupsFailed: 1, emailsSent: 3, emailsFailed: 0, exitCode: 1 });
  });

  it('counts dry-run messages as skipped, not sent', async () => {
    delivery.driver = { kind: 'dry-run' };

    expect(await sut.run()).toMatchObject({ driver: 'dry-run', emailsSent: 0, emailsSkipped: 3, exitCode: 0 });
  });

  it('exits 2 and sends nothing when the scan fails', async () => {
    scanner.scan.mockRejectedValue(new IamException(IamErrorCode.AccessDenied, 'IAM denied ListUsers'));

    const summary = await sut.run();

    expect(summary).toMatchObject({ exitCode: 2, error: 'IAM denied ListUsers', emailsPlanned: 0 });
    expect(delivery.deliverAll).not.toHaveBeenCalled();
    // The message only: no stack trace reaches the logs.
    expect(errorLog.mock.calls).toEqual([
      [{ msg: 'The notifier run failed', event: 'notifier.failed', error: 'IAM denied ListUsers' }],
    ]);
  });

  it('sends nothing and exits 0 when no key is old enough', async () => {
    scanner.scan.mockResolvedValue(scanOf([key('young', 'AKIA3', 3)]));
    owners.resolve.mockResolvedValue(new Map());

    expect(await sut.run()).toMatchObject({ keysSeen: 1, warned: 0, expired: 0, emailsPlanned: 0, exitCode: 0 });
  });
});
