import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { AccountsModule } from './accounts.module';
import { accountsConfig } from './config/accounts.config';
import { AccountDirectory } from './directory/account-directory';

const sts = mockClient(STSClient);

describe(AccountsModule.name, () => {
  const saved = { ...process.env };

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  afterEach(() => {
    process.env = { ...saved };
    sts.reset();
  });

  it('wires the directory to the validated config and destroys the STS client on close', async () => {
    process.env = { PATH: saved.PATH, ACCOUNTS_SOURCE: 'self', ACCOUNT_CONCURRENCY: '3' };
    sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:root' });
    const app = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true }), AccountsModule],
    }).compile();
    await app.init();

    await expect(app.get(AccountDirectory).resolve()).resolves.toEqual({
      accounts: [{ accountId: '123456789012', self: true }],
      skipped: [],
    });
    expect(app.get<{ concurrency: number }>(accountsConfig.KEY).concurrency).toBe(3);

    const destroy = jest.spyOn(STSClient.prototype, 'destroy');
    await app.close();
    expect(destroy).toHaveBeenCalledTimes(1);
  });
});
