import {
  GetAccessKeyLastUsedCommand,
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  ListUsersCommand,
  NoSuchEntityException,
  type GetAccessKeyLastUsedCommandInput,
  type ListAccessKeysCommandInput,
} from '@aws-sdk/client-iam';
import { Logger } from '@nestjs/common';
import { mockClient } from 'aws-sdk-client-mock';
import { IamClientProvider } from '../client/iam-client.provider';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import { HOUR_MS, type Clock } from '../iam.constants';
import { RequestSlots } from '../scan/request-slots';
import { testIamConfig } from '../testing/iam-config.fixture';
import { ListUsersStrategy } from './list-users.strategy';

const iamMock = mockClient(IAMClient);
const NOW = Date.parse('2026-03-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW - h * HOUR_MS);
const config = testIamConfig();

const users = Array.from({ length: 12 }, (_, i) => `user-${String(i).padStart(2, '0')}`);

describe(`${ListUsersStrategy.name} with last use`, () => {
  let provider: IamClientProvider;
  let sut: ListUsersStrategy;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    iamMock.reset();
    const clock: Clock = { now: () => new Date(NOW) };
    provider = new IamClientProvider(config);
    sut = new ListUsersStrategy(provider, config, clock);
    iamMock.on(ListUsersCommand).resolves({
      Users: users.map((UserName) => ({ UserName, UserId: 'x', Arn: 'x', Path: '/', CreateDate: hoursAgo(5000) })),
      IsTruncated: false,
    });
    iamMock.on(ListAccessKeysCommand).callsFake((input: ListAccessKeysCommandInput) => ({
      AccessKeyMetadata: [1, 2].map((n) => ({
        UserName: input.UserName,
        AccessKeyId: `AKIA${input.UserName}${n}`,
        Status: n === 1 ? 'Inactive' : 'Active',
        CreateDate: hoursAgo(100 * n),
      })),
    }));
  });

  afterEach(() => provider.onModuleDestroy());

  it('asks GetAccessKeyLastUsed for each key, through the scan request slots, never more than the calls bound', async () => {
    let inFlight = 0;
    let peak = 0;
    iamMock.on(GetAccessKeyLastUsedCommand).callsFake(async (input: GetAccessKeyLastUsedCommandInput) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return input.AccessKeyId?.endsWith('1')
        ? { AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } }
        : { AccessKeyLastUsed: { LastUsedDate: hoursAgo(3), ServiceName: 's3', Region: 'eu-west-1' } };
    });
    const lastUsed = jest.spyOn(provider, 'getAccessKeyLastUsed');

    const result = await sut.scan({ hours: 0, includeInactive: true, lastUse: true });

    expect(iamMock).toHaveReceivedCommandTimes(GetAccessKeyLastUsedCommand, 24);
    expect(lastUsed.mock.calls.every(([, slots]) => slots instanceof RequestSlots)).toBe(true);
    // Each user's task holds one prepared-call place: at most 2 x concurrency users at once, two keys each.
    expect(peak).toBeLessThanOrEqual(2 * 2 * config.concurrency);
    const one = result.keys.filter((k) => k.userName === 'user-00');
    expect(one.map((k) => [k.accessKeyId, k.lastUse])).toEqual([
      ['AKIAuser-002', { lastUsedDate: hoursAgo(3), lastUsedService: 's3', lastUsedRegion: 'eu-west-1' }],
      ['AKIAuser-001', { lastUsedDate: null, lastUsedService: null, lastUsedRegion: null }],
    ]);
  });

  it('never calls GetAccessKeyLastUsed when the query does not ask for last use', async () => {
    const result = await sut.scan({ hours: 0, includeInactive: true });

    expect(iamMock).toHaveReceivedCommandTimes(GetAccessKeyLastUsedCommand, 0);
    expect(result.keys.every((k) => k.lastUse === undefined)).toBe(true);
  });

  it('asks only for the keys the answer keeps', async () => {
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({ AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });

    await sut.scan({ hours: 150, includeInactive: false, lastUse: true });

    expect(iamMock).toHaveReceivedCommandTimes(GetAccessKeyLastUsedCommand, 12);
    expect(
      iamMock.commandCalls(GetAccessKeyLastUsedCommand).every((c) => c.args[0].input.AccessKeyId?.endsWith('2')),
    ).toBe(true);
  });

  it('leaves out a key deleted in between, and fails the scan on any other error', async () => {
    iamMock
      .on(GetAccessKeyLastUsedCommand)
      .resolves({ AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } })
      .on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIAuser-032' })
      .rejects(new NoSuchEntityException({ message: 'gone', $metadata: {} }));

    const result = await sut.scan({ hours: 0, includeInactive: true, lastUse: true });
    expect(result.keys).toHaveLength(23);
    expect(result.keys.map((k) => k.accessKeyId)).not.toContain('AKIAuser-032');

    iamMock.on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIAuser-052' }).rejects(
      new IAMServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'denied',
      }),
    );
    const err: unknown = await sut.scan({ hours: 0, includeInactive: true, lastUse: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IamException);
    expect(err).toMatchObject({ code: IamErrorCode.AccessDenied, action: 'GetAccessKeyLastUsed' });
  });
});
