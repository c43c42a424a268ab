import type { IamAccountClient, IamClientRegistry } from '@app/iam';
import { RegistryOwnerTagReader } from './registry-owner-tag.reader';

describe(RegistryOwnerTagReader.name, () => {
  let member: jest.Mocked<Pick<IamAccountClient, 'listUserTags'>>;
  let registry: jest.Mocked<Pick<IamClientRegistry, 'get'>>;
  let sut: RegistryOwnerTagReader;

  beforeEach(() => {
    member = { listUserTags: jest.fn().mockResolvedValue({ email: 'a@example.com' }) };
    registry = {
      get: jest.fn((id: string) => (id === '200000000001' ? (member as unknown as IamAccountClient) : undefined)),
    };
    sut = new RegistryOwnerTagReader(registry as unknown as IamClientRegistry);
  });

  it("reads the tags with the client of the user's own account", async () => {
    await expect(sut.listUserTags({ accountId: '200000000001' }, 'deploy')).resolves.toEqual({
      email: 'a@example.com',
    });
    expect(member.listUserTags).toHaveBeenCalledWith('deploy');
  });

  it("refuses an account the scan never reached instead of reading it with another account's client", async () => {
    await expect(sut.listUserTags({ accountId: '200000000009' }, 'deploy')).rejects.toThrow(
      'Account 200000000009 was not scanned in this run: no IAM client for it',
    );
  });
});
