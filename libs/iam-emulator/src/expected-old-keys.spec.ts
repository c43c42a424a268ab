import { expectedOldKeys, expectedRootKeys } from './expected-old-keys';
import { IamAccount } from './iam-account.model';

const NOW = new Date('2026-01-10T00:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);

describe(expectedOldKeys.name, () => {
  let account: IamAccount;

  beforeEach(() => {
    account = new IamAccount();
    account.addUser({
      userName: 'zed',
      createDate: hoursAgo(1000),
      accessKeys: [
        { accessKeyId: 'AKIAZZZZZZZZZZZZZZZ2', createDate: hoursAgo(500) },
        { accessKeyId: 'AKIAZZZZZZZZZZZZZZZ1', createDate: hoursAgo(48), status: 'Inactive' },
      ],
    });
    account.addUser({
      userName: 'amy',
      createDate: hoursAgo(1000),
      accessKeys: [
        { accessKeyId: 'AKIAAAAAAAAAAAAAAAA2', createDate: hoursAgo(500) },
        { accessKeyId: 'AKIAAAAAAAAAAAAAAAA1', createDate: hoursAgo(24) },
      ],
    });
    account.addUser({
      userName: 'kim',
      createDate: hoursAgo(30),
      accessKeys: [{ accessKeyId: 'AKIAKKKKKKKKKKKKKKK1', createDate: new Date(hoursAgo(24).getTime() + 1) }],
    });
  });

  it('returns Active keys at least `hours` old, oldest first, ties by user then key id', () => {
    expect(expectedOldKeys(account, { hours: 24, now: NOW })).toEqual([
      {
        userName: 'amy',
        accessKeyId: 'AKIAAAAAAAAAAAAAAAA2',
        createdDate: hoursAgo(500),
        status: 'Active',
        ageHours: 500,
      },
      {
        userName: 'zed',
        accessKeyId: 'AKIAZZZZZZZZZZZZZZZ2',
        createdDate: hoursAgo(500),
        status: 'Active',
        ageHours: 500,
      },
      {
        userName: 'amy',
        accessKeyId: 'AKIAAAAAAAAAAAAAAAA1',
        createdDate: hoursAgo(24),
        status: 'Active',
        ageHours: 24,
      },
    ]);
  });

  it('adds Inactive keys when asked', () => {
    expect(
      expectedOldKeys(account, { hours: 24, includeInactive: true, now: NOW }).map((k) => [k.userName, k.status]),
    ).toEqual([
      ['amy', 'Active'],
      ['zed', 'Active'],
      ['zed', 'Inactive'],
      ['amy', 'Active'],
    ]);
  });

  it('reports root keys by slot from their creation date', () => {
    account.addRootAccessKey({ createDate: hoursAgo(10_000) });
    account.addRootAccessKey({ createDate: hoursAgo(5), status: 'Inactive' });

    expect(expectedRootKeys(account, { hours: 24, now: NOW })).toEqual([
      { slot: 1, active: true, lastRotated: hoursAgo(10_000), ageHours: 10_000 },
    ]);
    expect(expectedRootKeys(account, { hours: 1, includeInactive: true, now: NOW })).toHaveLength(2);
  });
});
