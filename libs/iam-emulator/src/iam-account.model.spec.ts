import { IamAccount, IamAccountError } from './iam-account.model';

describe(IamAccount.name, () => {
  let sut: IamAccount;

  beforeEach(() => {
    sut = new IamAccount();
    sut.addUser({ userName: 'bob', createDate: new Date('2024-01-01T00:00:00Z') });
  });

  it('lists users by name with ARNs built from path and name', () => {
    sut.addUser({ userName: 'alice', path: '/team/' });

    expect(sut.listUsers().map((u) => [u.userName, u.arn])).toEqual([
      ['alice', 'arn:aws:iam::111111111111:user/team/alice'],
      ['bob', 'arn:aws:iam::111111111111:user/bob'],
    ]);
  });

  it('refuses duplicate names regardless of case, invalid names and a third key', () => {
    sut.addAccessKey('bob');
    sut.addAccessKey('bob');

    expect(() => sut.addUser({ userName: 'BOB' })).toThrow(IamAccountError);
    expect(() => sut.addUser({ userName: 'no spaces' })).toThrow(/ValidationError/);
    expect(() => sut.addAccessKey('bob')).toThrow(/LimitExceeded/);
  });

  it('rotates, deactivates and deletes keys', () => {
    const first = sut.addAccessKey('bob', { createDate: new Date('2024-02-01T00:00:00Z') });
    const rotated = sut.rotateAccessKey(first.accessKeyId, { createDate: new Date('2025-01-01T00:00:00Z') });
    sut.setAccessKeyStatus(rotated.accessKeyId, 'Inactive');

    expect(sut.findAccessKey(first.accessKeyId)).toBeUndefined();
    expect(sut.getUser('bob')?.accessKeys).toEqual([rotated]);
    expect(rotated.status).toBe('Inactive');
    expect(sut.deleteAccessKey(rotated.accessKeyId)).toBe(true);
    expect(sut.getUser('bob')?.accessKeys).toEqual([]);
  });

  it('sets, merges and removes tags, and deletes users', () => {
    sut.setUserTags('bob', { email: 'bob@example.com' });
    sut.tagUser('bob', { team: 'data' });
    sut.untagUser('bob', ['email']);

    expect(sut.getUser('bob')?.tags).toEqual({ team: 'data' });
    expect(sut.deleteUser('bob')).toBe(true);
    expect(sut.userCount).toBe(0);
    expect(() => sut.requireUser('bob')).toThrow(/NoSuchEntity/);
  });
});
