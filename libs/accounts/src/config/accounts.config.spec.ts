import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { EnvValidationError } from '@app/platform';
import { accountsConfig, loadAccountsConfig } from './accounts.config';

const ROLE = { ACCOUNT_ROLE_NAME: 'IamKeyMonitorReadOnly' };

describe('accountsConfig', () => {
  let sut: typeof loadAccountsConfig;

  beforeEach(() => {
    sut = loadAccountsConfig;
  });

  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      sut(env);
    } catch (err) {
      if (err instanceof EnvValidationError) {
        return err.problems;
      }
      throw err;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('defaults to the own account, with nothing to assume', () => {
    expect(sut({})).toEqual({
      source: 'self',
      accountIds: [],
      includeOus: [],
      excludeAccounts: [],
      roleName: undefined,
      roleExternalId: undefined,
      roleSessionName: 'iam-key-monitor',
      concurrency: 8,
      region: 'us-east-1',
      stsEndpoint: undefined,
      organizationsEndpoint: undefined,
      requestTimeoutMs: 10_000,
      connectionTimeoutMs: 3_000,
      maxSockets: 8,
      maxAttempts: 3,
    });
  });

  it('reads a list of accounts, without duplicates', () => {
    expect(
      sut({ ACCOUNTS_SOURCE: 'list', ACCOUNT_IDS: '111111111111, 222222222222,111111111111', ...ROLE }),
    ).toMatchObject({
      source: 'list',
      accountIds: ['111111111111', '222222222222'],
      roleName: 'IamKeyMonitorReadOnly',
    });
  });

  it('reads every organizations setting', () => {
    expect(
      sut({
        ACCOUNTS_SOURCE: 'organizations',
        ORG_INCLUDE_OUS: 'r-ab12, ou-ab12-cdef3456',
        ORG_EXCLUDE_ACCOUNTS: '333333333333',
        ACCOUNT_ROLE_NAME: 'Audit+Role=,.@_-1',
        ACCOUNT_ROLE_EXTERNAL_ID: 'ext:id/with=all+chars,.@-_',
        ACCOUNT_ROLE_SESSION_NAME: 'scanner@prod',
        ACCOUNT_CONCURRENCY: '64',
        ACCOUNTS_REQUEST_TIMEOUT_MS: '2500',
        ACCOUNTS_CONNECTION_TIMEOUT_MS: '500',
        AWS_REGION: 'us-gov-west-1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:2',
      }),
    ).toEqual({
      source: 'organizations',
      accountIds: [],
      includeOus: ['r-ab12', 'ou-ab12-cdef3456'],
      excludeAccounts: ['333333333333'],
      roleName: 'Audit+Role=,.@_-1',
      roleExternalId: 'ext:id/with=all+chars,.@-_',
      roleSessionName: 'scanner@prod',
      concurrency: 64,
      region: 'us-gov-west-1',
      stsEndpoint: 'http://127.0.0.1:2',
      organizationsEndpoint: 'http://127.0.0.1:1',
      requestTimeoutMs: 2500,
      connectionTimeoutMs: 500,
      maxSockets: 64,
      maxAttempts: 3,
    });
  });

  it.each([
    [
      { ACCOUNTS_SOURCE: 'org' },
      'ACCOUNTS_SOURCE ("org"): ACCOUNTS_SOURCE must be one of the following values: self, list, organizations',
    ],
    [
      { ACCOUNTS_SOURCE: 'list', ...ROLE },
      'ACCOUNT_IDS (unset): required with ACCOUNTS_SOURCE=list; comma-separated 12-digit account ids',
    ],
    [
      { ACCOUNTS_SOURCE: 'list', ACCOUNT_IDS: ' , ', ...ROLE },
      'ACCOUNT_IDS (unset): required with ACCOUNTS_SOURCE=list; comma-separated 12-digit account ids',
    ],
    [
      { ACCOUNTS_SOURCE: 'list', ACCOUNT_IDS: '111111111111,12345678901', ...ROLE },
      'ACCOUNT_IDS (["111111111111","12345678901"]): each of ACCOUNT_IDS must be a 12-digit account id',
    ],
    [
      { ACCOUNTS_SOURCE: 'organizations', ORG_INCLUDE_OUS: 'ou-ab12', ...ROLE },
      'ORG_INCLUDE_OUS (["ou-ab12"]): each of ORG_INCLUDE_OUS must be a root id (r-…) or an OU id (ou-…-…)',
    ],
    [
      { ACCOUNTS_SOURCE: 'organizations', ORG_INCLUDE_OUS: 'R-AB12', ...ROLE },
      'ORG_INCLUDE_OUS (["R-AB12"]): each of ORG_INCLUDE_OUS must be a root id (r-…) or an OU id (ou-…-…)',
    ],
    [
      { ACCOUNTS_SOURCE: 'organizations', ORG_EXCLUDE_ACCOUNTS: 'prod', ...ROLE },
      'ORG_EXCLUDE_ACCOUNTS (["prod"]): each of ORG_EXCLUDE_ACCOUNTS must be a 12-digit account id',
    ],
    [
      { ACCOUNTS_SOURCE: 'organizations' },
      'ACCOUNT_ROLE_NAME (unset): required with ACCOUNTS_SOURCE=organizations; the read-only role to assume in each account (deploy/aws/member-role.cfn.yaml)',
    ],
    [
      { ACCOUNTS_SOURCE: 'list', ACCOUNT_IDS: '111111111111' },
      'ACCOUNT_ROLE_NAME (unset): required with ACCOUNTS_SOURCE=list; the read-only role to assume in each account (deploy/aws/member-role.cfn.yaml)',
    ],
    [
      { ACCOUNTS_SOURCE: 'organizations', ACCOUNT_ROLE_NAME: 'path/Role' },
      'ACCOUNT_ROLE_NAME ("path/Role"): ACCOUNT_ROLE_NAME must be an IAM role name: 1-64 of letters, digits and +=,.@_-',
    ],
    [
      { ACCOUNTS_SOURCE: 'organizations', ACCOUNT_ROLE_NAME: 'r'.repeat(65) },
      `ACCOUNT_ROLE_NAME ("${'r'.repeat(65)}"): ACCOUNT_ROLE_NAME must be an IAM role name: 1-64 of letters, digits and +=,.@_-`,
    ],
    [
      { ACCOUNT_ROLE_SESSION_NAME: 'has space' },
      'ACCOUNT_ROLE_SESSION_NAME ("has space"): ACCOUNT_ROLE_SESSION_NAME must be 2-64 of letters, digits and +=,.@_-',
    ],
    [{ ACCOUNT_CONCURRENCY: '0' }, 'ACCOUNT_CONCURRENCY (0): ACCOUNT_CONCURRENCY must not be less than 1'],
    [{ ACCOUNT_CONCURRENCY: '65' }, 'ACCOUNT_CONCURRENCY (65): ACCOUNT_CONCURRENCY must not be greater than 64'],
    [
      { ACCOUNTS_REQUEST_TIMEOUT_MS: 'soon' },
      'ACCOUNTS_REQUEST_TIMEOUT_MS ("soon"): ACCOUNTS_REQUEST_TIMEOUT_MS must be an integer number',
    ],
    [
      { ACCOUNTS_CONNECTION_TIMEOUT_MS: '50' },
      'ACCOUNTS_CONNECTION_TIMEOUT_MS (50): ACCOUNTS_CONNECTION_TIMEOUT_MS must not be less than 100',
    ],
    [
      { AWS_ENDPOINT_URL_STS: 'not a url' },
      'AWS_ENDPOINT_URL_STS ("not a url"): AWS_ENDPOINT_URL_STS must be a URL address',
    ],
    [
      { AWS_ENDPOINT_URL_ORGANIZATIONS: 'ftp://x' },
      'AWS_ENDPOINT_URL_ORGANIZATIONS ("ftp://x"): AWS_ENDPOINT_URL_ORGANIZATIONS must be a URL address',
    ],
  ])('stops on %p, naming the variable', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it.each([
    ['ACCOUNT_IDS', { ACCOUNT_IDS: '111111111111' }, 'list'],
    ['ORG_INCLUDE_OUS', { ORG_INCLUDE_OUS: 'r-ab12' }, 'organizations'],
    ['ORG_EXCLUDE_ACCOUNTS', { ORG_EXCLUDE_ACCOUNTS: '111111111111' }, 'organizations'],
  ])('refuses %s where the chosen source would ignore it', (name, env, wanted) => {
    expect(problemsOf(env)).toEqual([`${name} ("${Object.values(env)[0]}"): only read with ACCOUNTS_SOURCE=${wanted}`]);
  });

  it('never shows a bad ACCOUNT_ROLE_EXTERNAL_ID, even one that looks like a URL', () => {
    for (const secret of ['x', 'secret with spaces', 'http://user:pw@host/"x', 'e'.repeat(1225)]) {
      const problems = problemsOf({ ACCOUNT_ROLE_EXTERNAL_ID: secret });
      expect(problems).toEqual([
        'ACCOUNT_ROLE_EXTERNAL_ID (value hidden): ACCOUNT_ROLE_EXTERNAL_ID must be 2-1224 of letters, digits and +=,.@:/_-',
      ]);
      expect(problems.join()).not.toContain(secret.slice(0, 6));
    }
  });

  it('names every bad variable in one go', () => {
    expect(
      problemsOf({ ACCOUNTS_SOURCE: 'list', ACCOUNT_IDS: '1', ACCOUNT_CONCURRENCY: '0' }).map((p) => p.split(' ')[0]),
    ).toEqual(['ACCOUNT_IDS', 'ACCOUNT_CONCURRENCY']);
  });

  it('stops a Nest application at boot, naming the variable', async () => {
    const saved = { ...process.env };
    process.env = { PATH: saved.PATH, ACCOUNTS_SOURCE: 'organizations' };
    try {
      await expect(
        Test.createTestingModule({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [accountsConfig] })],
        }).compile(),
      ).rejects.toThrow(
        /^Invalid configuration:\n {2}- ACCOUNT_ROLE_NAME \(unset\): required with ACCOUNTS_SOURCE=organizations/,
      );
    } finally {
      process.env = saved;
    }
  });
});
