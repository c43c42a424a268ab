import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { EMULATOR_AWS_ENV, setEnv } from '@app/iam-emulator';
import { AccountsErrorCode } from './errors/accounts.exception';
import { OrganizationsClientProvider } from './organizations/organizations-client.provider';
import { StsClientProvider } from './sts/sts-client.provider';
import { testAccountsConfig } from './testing/accounts-config.fixture';

/** A loopback endpoint that reads every request and never answers it. */
async function silentEndpoint(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((req) => {
    count++;
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function failureOf(call: () => Promise<unknown>): Promise<{ err: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await call();
  } catch (err) {
    return { err, elapsedMs: performance.now() - started };
  }
  throw new Error('expected the call to fail');
}

describe('ACCOUNTS_REQUEST_TIMEOUT_MS', () => {
  let endpoint: Awaited<ReturnType<typeof silentEndpoint>>;
  let restoreEnv: () => void;

  beforeAll(() => {
    Logger.overrideLogger(false);
    restoreEnv = setEnv(EMULATOR_AWS_ENV);
  });

  afterAll(() => {
    restoreEnv();
  });

  beforeEach(async () => {
    endpoint = await silentEndpoint();
  });

  afterEach(async () => {
    await endpoint.close();
  });

  it('fails a ListAccounts Organizations never answers with ORGANIZATIONS_UNAVAILABLE after bounded attempts', async () => {
    const sut = new OrganizationsClientProvider(
      testAccountsConfig(
        { ACCOUNTS_REQUEST_TIMEOUT_MS: '300', AWS_ENDPOINT_URL_ORGANIZATIONS: endpoint.url },
        { maxAttempts: 2 },
      ),
    );
    try {
      const { err, elapsedMs } = await failureOf(() => sut.listAccounts());
      expect(err).toMatchObject({
        code: AccountsErrorCode.OrganizationsUnavailable,
        action: 'ListAccounts',
        message: 'Organizations call ListAccounts failed (timed out)',
      });
      expect(endpoint.requests()).toBe(2);
      expect(elapsedMs).toBeGreaterThanOrEqual(2 * 250);
      expect(elapsedMs).toBeLessThan(5000);
    } finally {
      await sut.onModuleDestroy();
    }
  });

  it('fails a GetCallerIdentity STS never answers with CALLER_IDENTITY_UNAVAILABLE', async () => {
    const sut = new StsClientProvider(
      testAccountsConfig({ ACCOUNTS_REQUEST_TIMEOUT_MS: '300', AWS_ENDPOINT_URL_STS: endpoint.url }),
    );
    try {
      const { err, elapsedMs } = await failureOf(() => sut.callerIdentity());
      expect(err).toMatchObject({
        code: AccountsErrorCode.CallerIdentityUnavailable,
        message: 'STS did not tell the service its own account (GetCallerIdentity: timed out)',
      });
      expect(endpoint.requests()).toBe(1);
      expect(elapsedMs).toBeLessThan(5000);
    } finally {
      await sut.onModuleDestroy();
    }
  });

  it('fails an AssumeRole STS never answers with ACCOUNT_CREDENTIALS_UNAVAILABLE naming the account', async () => {
    const sut = new StsClientProvider(
      testAccountsConfig({
        ACCOUNTS_SOURCE: 'list',
        ACCOUNT_IDS: '222222222222',
        ACCOUNT_ROLE_NAME: 'IamKeyMonitorReadOnly',
        ACCOUNTS_REQUEST_TIMEOUT_MS: '300',
        AWS_ENDPOINT_URL_STS: endpoint.url,
      }),
    );
    // The caller identity is known; only AssumeRole meets the silent endpoint.
    jest
      .spyOn(sut, 'callerIdentity')
      .mockResolvedValue({ accountId: '111111111111', arn: 'arn:aws:iam::111111111111:root', partition: 'aws' });
    try {
      const { err, elapsedMs } = await failureOf(() => sut.roleCredentials('222222222222')());
      expect(err).toMatchObject({
        code: AccountsErrorCode.AccountCredentialsUnavailable,
        action: 'AssumeRole',
        accountId: '222222222222',
        message: 'AssumeRole of IamKeyMonitorReadOnly in account 222222222222 failed (timed out)',
      });
      expect(endpoint.requests()).toBe(1);
      expect(elapsedMs).toBeLessThan(5000);
    } finally {
      await sut.onModuleDestroy();
    }
  });
});
