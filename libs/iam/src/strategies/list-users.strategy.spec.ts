import {
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  ListUsersCommand,
  NoSuchEntityException,
  type AccessKeyMetadata,
  type ListAccessKeysCommandInput,
  type ListUsersCommandOutput,
  type User,
} from '@aws-sdk/client-iam';
import { Logger } from '@nestjs/common';
import { mockClient } from 'aws-sdk-client-mock';
import { IamClientProvider } from '../client/iam-client.provider';
import type { IamConfig } from '../config/iam.config';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import { HOUR_MS, type Clock } from '../iam.constants';
import type { ScanQuery, ScanResult } from '../iam.types';
import { RequestSlots } from '../scan/request-slots';
import { ListUsersStrategy } from './list-users.strategy';
import { testIamConfig } from '../testing/iam-config.fixture';

const iamMock = mockClient(IAMClient);

const NOW = Date.parse('2026-03-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW - h * HOUR_MS);

const baseConfig: IamConfig = testIamConfig();

const q = (hours: number, includeInactive = false): ScanQuery => ({ hours, includeInactive });

const user = (userName: string, createdHoursAgo = 10_000): User => ({
  UserName: userName,
  UserId: `AIDA${userName.toUpperCase()}`,
  Arn: `arn:aws:iam::123456789012:user/${userName}`,
  Path: '/',
  CreateDate: hoursAgo(createdHoursAgo),
});

function key(userName: string, accessKeyId: string, createdHoursAgo: number, status = 'Active'): AccessKeyMetadata {
  return {
    UserName: userName,
    AccessKeyId: accessKeyId,
    CreateDate: hoursAgo(createdHoursAgo),
    Status: status as 'Active',
  };
}

const page = (users: User[], marker?: string): Partial<ListUsersCommandOutput> =>
  marker ? { Users: users, IsTruncated: true, Marker: marker } : { Users: users, IsTruncated: false };

const awsError = (name: string) =>
  new IAMServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'denied' });

/** Lets every pending promise and I/O callback run, so calls the scan could make have been made. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe(ListUsersStrategy.name, () => {
  let clock: Clock;
  let provider: IamClientProvider;
  let accessKeys: Record<string, AccessKeyMetadata[]>;
  let sut: ListUsersStrategy;

  function build(config: IamConfig = baseConfig): ListUsersStrategy {
    provider = new IamClientProvider(config);
    return new ListUsersStrategy(provider, config, clock);
  }

  const listUsersInputs = () => iamMock.commandCalls(ListUsersCommand).map((c) => c.args[0].input);
  const listKeysUsers = () => iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input.UserName);

  async function scanError(query = q(24)): Promise<IamException> {
    const err: unknown = await sut.scan(query).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IamException);
    return err as IamException;
  }

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    iamMock.reset();
    clock = { now: () => new Date(NOW) };
    accessKeys = {};
    iamMock.on(ListAccessKeysCommand).callsFake((input: ListAccessKeysCommandInput) => ({
      AccessKeyMetadata: accessKeys[input.UserName ?? ''] ?? [],
    }));
    sut = build();
  });

  afterEach(async () => {
    await provider.onModuleDestroy();
  });

  describe('paging ListUsers', () => {
    it('follows IsTruncated through every page, passing the marker and MaxItems 1000', async () => {
      iamMock
        .on(ListUsersCommand)
        .resolvesOnce(page([user('a1'), user('a2')], 'm1'))
        .resolvesOnce(page([user('b1')], 'm2'))
        .resolvesOnce(page([user('c1'), user('c2')]));

      const result = await sut.scan(q(24));

      expect(iamMock).toHaveReceivedCommandTimes(ListUsersCommand, 3);
      expect(listUsersInputs()).toEqual([
        { MaxItems: 1000 },
        { Marker: 'm1', MaxItems: 1000 },
        { Marker: 'm2', MaxItems: 1000 },
      ]);
      expect(result.stats.usersSeen).toBe(5);
      expect(listKeysUsers().sort()).toEqual(['a1', 'a2', 'b1', 'c1', 'c2']);
    });

    it('never takes a short or empty page for the end while IsTruncated is true', async () => {
      iamMock
        .on(ListUsersCommand)
        .resolvesOnce(page([user('a1')], 'm1'))
        .resolvesOnce(page([], 'm2'))
        .resolvesOnce(page([user('c1')], 'm3'))
        .resolvesOnce(page([]));

      const result = await sut.scan(q(24));

      expect(iamMock).toHaveReceivedCommandTimes(ListUsersCommand, 4);
      expect(listUsersInputs().map((i) => i.Marker)).toEqual([undefined, 'm1', 'm2', 'm3']);
      expect(result.stats.usersSeen).toBe(2);
    });

    it('starts ListAccessKeys for a page before the next ListUsers page has arrived', async () => {
      let releasePage2!: (out: Partial<ListUsersCommandOutput>) => void;
      iamMock
        .on(ListUsersCommand)
        .resolvesOnce(page([user('a1'), user('a2')], 'm1'))
        .callsFakeOnce(() => new Promise((resolve) => (releasePage2 = resolve)));

      const scan = sut.scan(q(24));
      await settle();

      expect(iamMock).toHaveReceivedCommandTimes(ListUsersCommand, 2);
      expect(listKeysUsers()).toEqual(['a1', 'a2']);

      releasePage2(page([user('b1')]));
      const result = await scan;

      expect(listKeysUsers()).toEqual(['a1', 'a2', 'b1']);
      expect(result.stats.usersSeen).toBe(3);
    });
  });

  it("prepares at most twice `concurrency` ListAccessKeys calls, each holding the scan's request slots", async () => {
    // The mocked client takes no slot: this shows the strategy's side; request-slots.spec shows IAM's.
    const users = Array.from({ length: 30 }, (_, i) => user(`user-${String(i).padStart(2, '0')}`));
    iamMock
      .on(ListUsersCommand)
      .resolvesOnce(page(users.slice(0, 10), 'm1'))
      .resolvesOnce(page(users.slice(10)));
    let inFlight = 0;
    let peak = 0;
    iamMock.on(ListAccessKeysCommand).callsFake(async (input: ListAccessKeysCommandInput) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return { AccessKeyMetadata: [key(input.UserName ?? '', `AKIA-${input.UserName}`, 100)] };
    });
    const listAccessKeys = jest.spyOn(provider, 'listAccessKeys');

    const result = await sut.scan(q(24));

    expect(peak).toBe(2 * baseConfig.concurrency);
    const [first, ...others] = listAccessKeys.mock.calls.map(([, slots]) => slots);
    expect(first).toBeInstanceOf(RequestSlots);
    expect(first).toMatchObject({ limit: baseConfig.concurrency });
    expect(others.every((slots) => slots === first)).toBe(true);
    expect(iamMock).toHaveReceivedCommandTimes(ListAccessKeysCommand, 30);
    expect(result.keys).toHaveLength(30);
  });

  it('skips a user deleted between ListUsers and ListAccessKeys, and keeps the others', async () => {
    iamMock.on(ListUsersCommand).resolves(page([user('alice'), user('bob'), user('carol')]));
    accessKeys = { alice: [key('alice', 'AKIAALICE', 100)], carol: [key('carol', 'AKIACAROL', 200)] };
    iamMock
      .on(ListAccessKeysCommand, { UserName: 'bob' })
      .rejects(new NoSuchEntityException({ message: 'gone', $metadata: {} }));

    const result = await sut.scan(q(24));

    expect(result.keys.map((k) => k.accessKeyId)).toEqual(['AKIACAROL', 'AKIAALICE']);
    expect(result.stats.usersVanished).toBe(1);
    expect(iamMock).toHaveReceivedCommandTimes(ListAccessKeysCommand, 3);
  });

  it('does not call ListAccessKeys for users younger than the threshold', async () => {
    iamMock
      .on(ListUsersCommand)
      .resolves(page([user('old', 100), user('at-cutoff', 24), user('young', 23), user('newborn', 0)]));

    const result = await sut.scan(q(24));

    expect(iamMock).toHaveReceivedCommandTimes(ListAccessKeysCommand, 2);
    expect(listKeysUsers()).toEqual(['old', 'at-cutoff']);
    expect(result.stats).toMatchObject({ usersSeen: 4, usersSkippedYoung: 2 });
  });

  it('reports inactive old keys only with includeInactive', async () => {
    iamMock.on(ListUsersCommand).resolves(page([user('alice')]));
    accessKeys = {
      alice: [key('alice', 'AKIAACTIVE', 100), key('alice', 'AKIAINACTIVE', 200, 'Inactive')],
    };

    const activeOnly = await sut.scan(q(24));
    const all = await sut.scan(q(24, true));

    expect(activeOnly.keys.map((k) => [k.accessKeyId, k.status])).toEqual([['AKIAACTIVE', 'Active']]);
    expect(all.keys.map((k) => [k.accessKeyId, k.status])).toEqual([
      ['AKIAINACTIVE', 'Inactive'],
      ['AKIAACTIVE', 'Active'],
    ]);
  });

  it('sorts oldest first, ties by user name then key id, with ages in hours to one decimal', async () => {
    iamMock.on(ListUsersCommand).resolves(page([user('zed'), user('amy'), user('bob')]));
    accessKeys = {
      zed: [key('zed', 'AKIAZ1', 50), key('zed', 'AKIAZ2', 30.25)],
      amy: [key('amy', 'AKIAA2', 50), key('amy', 'AKIAA1', 50)],
      bob: [key('bob', 'AKIAB1', 24), key('bob', 'AKIAB2', 23.99)],
    };

    const result: ScanResult = await sut.scan(q(24));

    expect(result.keys).toEqual([
      { userName: 'amy', accessKeyId: 'AKIAA1', createdDate: hoursAgo(50), status: 'Active', ageHours: 50 },
      { userName: 'amy', accessKeyId: 'AKIAA2', createdDate: hoursAgo(50), status: 'Active', ageHours: 50 },
      { userName: 'zed', accessKeyId: 'AKIAZ1', createdDate: hoursAgo(50), status: 'Active', ageHours: 50 },
      { userName: 'zed', accessKeyId: 'AKIAZ2', createdDate: hoursAgo(30.25), status: 'Active', ageHours: 30.3 },
      { userName: 'bob', accessKeyId: 'AKIAB1', createdDate: hoursAgo(24), status: 'Active', ageHours: 24 },
    ]);
    expect(result).toMatchObject({ source: 'list-users', rootKeys: [], dataReadAt: new Date(NOW) });
  });

  it('surfaces AccessDenied on ListAccessKeys with the action, and prepares none of the queued lookups', async () => {
    sut = build({ ...baseConfig, concurrency: 1 });
    iamMock.on(ListUsersCommand).resolves(page([user('alice'), user('bob'), user('carol'), user('dave')]));
    iamMock.on(ListAccessKeysCommand).rejects(awsError('AccessDenied'));

    const err = await scanError();
    await settle();

    expect(err).toMatchObject({
      code: IamErrorCode.AccessDenied,
      action: 'ListAccessKeys',
      awsErrorName: 'AccessDenied',
    });
    // bob's call was prepared while alice's was out; the real client stops it at its slot (request-slots.spec).
    expect(listKeysUsers()).toEqual(['alice', 'bob']);
  });

  it('stops paging once a ListAccessKeys call has failed', async () => {
    let releasePage2!: (out: Partial<ListUsersCommandOutput>) => void;
    iamMock
      .on(ListUsersCommand)
      .resolvesOnce(page([user('alice')], 'm1'))
      .callsFakeOnce(() => new Promise((resolve) => (releasePage2 = resolve)))
      .resolves(page([user('zoe')]));
    iamMock.on(ListAccessKeysCommand).rejects(awsError('AccessDenied'));

    const scan = sut.scan(q(24)).then(
      () => undefined,
      (e: unknown) => e,
    );
    await settle();
    releasePage2(page([user('bob')], 'm2'));
    const err = await scan;
    await settle();

    expect(err).toMatchObject({ code: IamErrorCode.AccessDenied, action: 'ListAccessKeys' });
    expect(iamMock).toHaveReceivedCommandTimes(ListUsersCommand, 2);
    expect(listKeysUsers()).toEqual(['alice']);
  });

  it('surfaces AccessDenied on ListUsers with the action', async () => {
    iamMock.on(ListUsersCommand).rejects(awsError('AccessDenied'));

    const err = await scanError();

    expect(err).toMatchObject({ code: IamErrorCode.AccessDenied, action: 'ListUsers' });
    expect(iamMock).toHaveReceivedCommandTimes(ListAccessKeysCommand, 0);
  });
});
