import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { accountsConfig } from '@app/accounts';
import { IamErrorCode, IamException, type AccountRef, type iamConfig } from '@app/iam';
import type { notifierConfig } from '../config/notifier.config';
import { ownerKey } from '../notifier.types';
import { OwnerResolverService, resolveOwnerTag, type OwnerTagReader } from './owner-resolver.service';

const SELF = '111111111111';
const MEMBER = '200000000001';
const OTHER = '200000000002';
const inSelf = (userName: string) => ({ accountId: SELF, userName });

describe(OwnerResolverService.name, () => {
  let tags: jest.Mocked<OwnerTagReader>;
  let warn: jest.SpyInstance;
  let sut: OwnerResolverService;

  const build = (iamConcurrency = 2, accountConcurrency = 8) =>
    new OwnerResolverService(
      tags,
      { ownerTagKey: 'email' } as ConfigType<typeof notifierConfig>,
      { concurrency: iamConcurrency } as ConfigType<typeof iamConfig>,
      { concurrency: accountConcurrency } as ConfigType<typeof accountsConfig>,
    );

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    tags = { listUserTags: jest.fn() };
    sut = build();
  });

  it('maps each user to its tagged owner, an invalid address or a missing tag to the fallback', async () => {
    const byUser: Record<string, Record<string, string>> = {
      alice: { team: 'core', email: ' Alice@Example.com ' },
      bob: { email: 'not-an-address' },
      carol: { owner: 'carol@example.com' },
      dave: { email: '' },
      erin: { Email: 'erin@example.com' },
      frank: { email: 'Frank <frank@example.com>' },
    };
    tags.listUserTags.mockImplementation((_account, u) => Promise.resolve(byUser[u]));

    const result = await sut.resolve(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'alice'].map(inSelf));

    expect(Object.fromEntries(result)).toEqual({
      [`${SELF}/alice`]: { kind: 'owner', address: 'alice@example.com' },
      [`${SELF}/bob`]: { kind: 'fallback', reason: 'invalid-address', value: 'not-an-address' },
      [`${SELF}/carol`]: { kind: 'fallback', reason: 'missing-tag' },
      [`${SELF}/dave`]: { kind: 'fallback', reason: 'missing-tag' },
      [`${SELF}/erin`]: { kind: 'owner', address: 'erin@example.com' },
      [`${SELF}/frank`]: { kind: 'fallback', reason: 'invalid-address', value: 'Frank <frank@example.com>' },
    });
    expect(tags.listUserTags).toHaveBeenCalledTimes(6);
  });

  it("reads a user's tags in the user's own account: one name in two accounts is two users", async () => {
    const byAccount: Record<string, string> = { [SELF]: 'ops@example.com', [MEMBER]: 'data@example.com' };
    tags.listUserTags.mockImplementation((account) => Promise.resolve({ email: byAccount[account.accountId] }));

    const result = await sut.resolve([
      { accountId: SELF, userName: 'deploy' },
      { accountId: MEMBER, accountName: 'member-001', userName: 'deploy' },
    ]);

    expect(result.get(ownerKey({ accountId: SELF, userName: 'deploy' }))).toEqual({
      kind: 'owner',
      address: 'ops@example.com',
    });
    expect(result.get(ownerKey({ accountId: MEMBER, userName: 'deploy' }))).toEqual({
      kind: 'owner',
      address: 'data@example.com',
    });
    expect(tags.listUserTags.mock.calls).toEqual(
      expect.arrayContaining([
        [{ accountId: SELF }, 'deploy'],
        [{ accountId: MEMBER, accountName: 'member-001' }, 'deploy'],
      ]),
    );
  });

  it('holds at most IAM_CONCURRENCY lookups in one account and ACCOUNT_CONCURRENCY accounts at once', async () => {
    sut = build(2, 2);
    const inFlight = new Map<string, number>();
    let peakPerAccount = 0;
    let peakAccounts = 0;
    tags.listUserTags.mockImplementation(async (account: AccountRef) => {
      inFlight.set(account.accountId, (inFlight.get(account.accountId) ?? 0) + 1);
      peakPerAccount = Math.max(peakPerAccount, inFlight.get(account.accountId)!);
      peakAccounts = Math.max(peakAccounts, [...inFlight.values()].filter((n) => n > 0).length);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight.set(account.accountId, inFlight.get(account.accountId)! - 1);
      return { email: 'x@example.com' };
    });
    const users = [SELF, MEMBER, OTHER].flatMap((accountId) =>
      ['a', 'b', 'c', 'd', 'e'].map((userName) => ({ accountId, userName })),
    );

    const result = await sut.resolve(users);

    expect(result.size).toBe(15);
    expect(peakPerAccount).toBe(2);
    expect(peakAccounts).toBe(2);
  });

  it('sends a user whose tags cannot be read to the fallback instead of failing the run, naming the account', async () => {
    tags.listUserTags.mockRejectedValue(new IamException(IamErrorCode.AccessDenied, 'IAM denied ListUserTags'));

    const result = await sut.resolve([{ accountId: MEMBER, userName: 'alice' }]);

    expect(result.get(`${MEMBER}/alice`)).toEqual({
      kind: 'fallback',
      reason: 'lookup-failed',
      error: 'IAM denied ListUserTags',
    });
    expect(warn.mock.calls).toEqual([
      [
        {
          msg: 'The owner tag could not be read',
          event: 'notifier.owner-lookup-failed',
          accountId: MEMBER,
          userName: 'alice',
          error: 'IAM denied ListUserTags',
        },
      ],
    ]);
  });

  it('prefers the exact tag key over a case-insensitive match', () => {
    expect(resolveOwnerTag({ EMAIL: 'x@example.com', email: 'y@example.com' }, 'email')).toEqual({
      kind: 'owner',
      address: 'y@example.com',
    });
  });
});
