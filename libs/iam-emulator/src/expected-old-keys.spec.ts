import {
  expectedOldKeys,
  expectedOldKeysByAccount,
  expectedRootKeys,
  expectedRootKeysByAccount,
} from './expected-old-keys';
import { IamAccount } from './iam-account.model';
import type { EmulatedOrganization } from './iam-emulator.types';

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

describe(expectedOldKeysByAccount.name, () => {
  let org: EmulatedOrganization;

  function accountWith(accountId: string, keyId: string, hours: number): IamAccount {
    const account = new IamAccount({ accountId });
    account.addUser({
      userName: 'same-name',
      createDate: hoursAgo(1000),
      accessKeys: [{ accessKeyId: keyId, createDate: hoursAgo(hours) }],
    });
    return account;
  }

  beforeEach(() => {
    org = {
      managementAccountId: '111111111111',
      accounts: [
        { id: '111111111111', name: 'management', account: accountWith('111111111111', 'AKIAMMMMMMMMMMMMMMM1', 100) },
        { id: '200000000001', name: 'young', account: accountWith('200000000001', 'AKIAYYYYYYYYYYYYYYY1', 2) },
        { id: '200000000002', name: 'old', account: accountWith('200000000002', 'AKIAOOOOOOOOOOOOOOO1', 300) },
        {
          id: '200000000003',
          name: 'gone',
          status: 'SUSPENDED',
          account: accountWith('200000000003', 'AKIASSSSSSSSSSSSSSS1', 300),
        },
      ],
    };
  });

  it('answers each ACTIVE account on its own, in organization order, [] where nothing is old', () => {
    const answer = expectedOldKeysByAccount(org, { hours: 24, now: NOW });

    expect([...answer.keys()]).toEqual(['111111111111', '200000000001', '200000000002']);
    expect(answer.get('111111111111')).toEqual([
      {
        userName: 'same-name',
        accessKeyId: 'AKIAMMMMMMMMMMMMMMM1',
        createdDate: hoursAgo(100),
        status: 'Active',
        ageHours: 100,
      },
    ]);
    expect(answer.get('200000000001')).toEqual([]);
    expect(answer.get('200000000002')?.map((key) => key.accessKeyId)).toEqual(['AKIAOOOOOOOOOOOOOOO1']);
  });

  it('narrows to the accounts asked for, and knows root keys too', () => {
    org.accounts[2].account.addRootAccessKey({ createDate: hoursAgo(48) });

    const narrowed = expectedOldKeysByAccount(org, {
      hours: 24,
      now: NOW,
      accountIds: ['200000000002', '200000000003'],
    });
    const roots = expectedRootKeysByAccount(org, { hours: 24, now: NOW });

    expect([...narrowed.keys()]).toEqual(['200000000002']);
    expect(roots.get('200000000002')).toEqual([{ slot: 1, active: true, lastRotated: hoursAgo(48), ageHours: 48 }]);
    expect(roots.get('111111111111')).toEqual([]);
  });
});
