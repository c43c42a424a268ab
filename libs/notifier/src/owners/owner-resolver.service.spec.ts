import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { IamErrorCode, IamException, type iamConfig, type IamClientProvider } from '@app/iam';
import type { notifierConfig } from '../config/notifier.config';
import { OwnerResolverService, resolveOwnerTag } from './owner-resolver.service';

describe(OwnerResolverService.name, () => {
  let iam: jest.Mocked<Pick<IamClientProvider, 'listUserTags'>>;
  let sut: OwnerResolverService;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    iam = { listUserTags: jest.fn() };
    sut = new OwnerResolverService(
      iam as unknown as IamClientProvider,
      { ownerTagKey: 'email' } as ConfigType<typeof notifierConfig>,
      { concurrency: 2 } as ConfigType<typeof iamConfig>,
    );
  });

  it('maps each user to its tagged owner, an invalid address or a missing tag to the fallback', async () => {
    const tags: Record<string, Record<string, string>> = {
      alice: { team: 'core', email: ' Alice@Example.com ' },
      bob: { email: 'not-an-address' },
      carol: { owner: 'carol@example.com' },
      dave: { email: '' },
      erin: { Email: 'erin@example.com' },
      frank: { email: 'Frank <frank@example.com>' },
    };
    iam.listUserTags.mockImplementation((u) => Promise.resolve(tags[u]));

    const result = await sut.resolve(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'alice']);

    expect(Object.fromEntries(result)).toEqual({
      alice: { kind: 'owner', address: 'alice@example.com' },
      bob: { kind: 'fallback', reason: 'invalid-address', value: 'not-an-address' },
      carol: { kind: 'fallback', reason: 'missing-tag' },
      dave: { kind: 'fallback', reason: 'missing-tag' },
      erin: { kind: 'owner', address: 'erin@example.com' },
      frank: { kind: 'fallback', reason: 'invalid-address', value: 'Frank <frank@example.com>' },
    });
    expect(iam.listUserTags).toHaveBeenCalledTimes(6);
  });

  it('sends a user whose tags cannot be read to the fallback instead of failing the run', async () => {
    iam.listUserTags.mockRejectedValue(new IamException(IamErrorCode.AccessDenied, 'IAM denied ListUserTags'));

    const result = await sut.resolve(['alice']);

    expect(result.get('alice')).toEqual({
      kind: 'fallback',
      reason: 'lookup-failed',
      error: 'IAM denied ListUserTags',
    });
  });

  it('prefers the exact tag key over a case-insensitive match', () => {
    expect(resolveOwnerTag({ EMAIL: 'x@example.com', email: 'y@example.com' }, 'email')).toEqual({
      kind: 'owner',
      address: 'y@example.com',
    });
  });
});
