import { GetCallerIdentityCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { AwsCredentialIdentity } from '@smithy/types';
import { Mutex } from 'async-mutex';
import { awsHttpHandler, redactUserinfo } from '@app/platform';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider, CallerIdentity } from '../accounts.types';
import { awsErrorName, describeFailure, isDenied, isThrottling } from '../aws-errors';
import { accountsConfig } from '../config/accounts.config';
import { AccountsErrorCode, AccountsException } from '../errors/accounts.exception';

/** AWS refreshes 5 minutes before expiry; a short session (tests, or a 15-minute role) refreshes at 3/4 of its life. */
const REFRESH_BEFORE_MS = 300_000;

/**
 * The only door to STS. Finds the service's own account once per process, and hands out one AssumeRole
 * credentials provider per member account (the SDK's fromTemporaryCredentials), which this class caches and
 * refreshes before expiry, so every client of that account shares one session. Credentials are never logged.
 */
@Injectable()
export class StsClientProvider implements OnModuleDestroy {
  private readonly logger = new Logger(StsClientProvider.name);
  private readonly mutex = new Mutex();
  private client?: STSClient;
  private handler?: NodeHttpHandler;
  private baseCredentials?: AwsCredentialIdentityProvider;
  private identity?: Promise<CallerIdentity>;
  private readonly roleProviders = new Map<string, AwsCredentialIdentityProvider>();

  constructor(@Inject(accountsConfig.KEY) private readonly config: ConfigType<typeof accountsConfig>) {}

  /** The account, ARN and partition of the service's own credentials; a failure is not remembered. */
  callerIdentity(): Promise<CallerIdentity> {
    this.identity ??= this.fetchCallerIdentity().catch((err: unknown) => {
      this.identity = undefined;
      throw err;
    });
    return this.identity;
  }

  /**
   * Credentials of ACCOUNT_ROLE_NAME (or of `roleName`, e.g. the remediation role) in `accountId`; the same
   * provider (and session) for every caller of that role and account.
   */
  roleCredentials(accountId: string, roleName = this.config.roleName): AwsCredentialIdentityProvider {
    if (!/^\d{12}$/.test(accountId)) {
      throw new Error(`Not an AWS account id: ${JSON.stringify(accountId)}`);
    }
    const cacheKey = `${roleName ?? ''}/${accountId}`;
    let provider = this.roleProviders.get(cacheKey);
    if (!provider) {
      provider = this.createRoleProvider(accountId, roleName);
      this.roleProviders.set(cacheKey, provider);
    }
    return provider;
  }

  async onModuleDestroy(): Promise<void> {
    await this.mutex.runExclusive(() => {
      this.client?.destroy();
      this.client = undefined;
      this.handler?.destroy();
      this.handler = undefined;
      this.roleProviders.clear();
    });
  }

  private async fetchCallerIdentity(): Promise<CallerIdentity> {
    const client = await this.getClient();
    let out;
    try {
      out = await client.send(new GetCallerIdentityCommand({}));
    } catch (err) {
      throw new AccountsException(
        AccountsErrorCode.CallerIdentityUnavailable,
        `STS did not tell the service its own account (GetCallerIdentity: ${describeFailure(err)})`,
        { action: 'GetCallerIdentity', awsErrorName: awsErrorName(err), cause: err },
      );
    }
    const partition = out.Arn?.split(':')[1];
    if (!out.Account || !out.Arn || !partition) {
      throw new AccountsException(
        AccountsErrorCode.CallerIdentityUnavailable,
        'STS answered GetCallerIdentity without an account or ARN',
        { action: 'GetCallerIdentity' },
      );
    }
    return { accountId: out.Account, arn: out.Arn, partition };
  }

  private createRoleProvider(accountId: string, roleName: string | undefined): AwsCredentialIdentityProvider {
    const { roleExternalId, roleSessionName } = this.config;
    if (!roleName) {
      throw new Error('ACCOUNT_ROLE_NAME is not set: no role to assume (ACCOUNTS_SOURCE=self)');
    }
    let assume: AwsCredentialIdentityProvider | undefined;
    let cached: { credentials: AwsCredentialIdentity; refreshAt: number } | undefined;
    let pending: Promise<AwsCredentialIdentity> | undefined;

    const refresh = async (): Promise<AwsCredentialIdentity> => {
      if (!assume) {
        const { partition } = await this.callerIdentity();
        await this.getClient();
        assume = fromTemporaryCredentials({
          params: {
            RoleArn: `arn:${partition}:iam::${accountId}:role/${roleName}`,
            RoleSessionName: roleSessionName,
            ...(roleExternalId ? { ExternalId: roleExternalId } : {}),
          },
          masterCredentials: this.baseCredentials,
          clientConfig: this.clientConfig(this.config.stsEndpoint),
        });
      }
      const obtainedAt = Date.now();
      let credentials: AwsCredentialIdentity;
      try {
        credentials = await assume();
      } catch (err) {
        throw assumeRoleError(err, accountId, roleName);
      }
      const expiresAt = credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
      const lifetime = expiresAt - obtainedAt;
      cached = { credentials, refreshAt: expiresAt - Math.min(REFRESH_BEFORE_MS, lifetime / 4) };
      return credentials;
    };

    return () => {
      if (cached && Date.now() < cached.refreshAt) {
        return Promise.resolve(cached.credentials);
      }
      // Concurrent callers of a cold or expiring account share one AssumeRole.
      pending ??= refresh().finally(() => {
        pending = undefined;
      });
      return pending;
    };
  }

  private async getClient(): Promise<STSClient> {
    if (this.client) {
      return this.client;
    }
    return this.mutex.runExclusive(() => {
      if (!this.client) {
        this.handler = awsHttpHandler(this.config);
        // One default chain for every session: with IRSA each account's AssumeRole would otherwise read the token anew.
        this.baseCredentials = fromNodeProviderChain({ clientConfig: { region: this.config.region } });
        this.client = new STSClient({
          ...this.clientConfig(this.config.stsEndpoint),
          credentials: this.baseCredentials,
        });
        const { stsEndpoint } = this.config;
        this.logger.log(
          stsEndpoint ? `STS client created for endpoint ${redactUserinfo(stsEndpoint)}` : 'STS client created',
        );
      }
      return this.client;
    });
  }

  private clientConfig(endpoint: string | undefined): STSClientConfig {
    return {
      region: this.config.region,
      maxAttempts: this.config.maxAttempts,
      retryMode: 'standard',
      requestHandler: this.handler,
      ...(endpoint ? { endpoint } : {}),
    };
  }
}

function assumeRoleError(err: unknown, accountId: string, roleName: string): AccountsException {
  const details = { action: 'AssumeRole', accountId, awsErrorName: awsErrorName(err), cause: err };
  if (isDenied(err)) {
    return new AccountsException(
      AccountsErrorCode.AccountAccessDenied,
      `AssumeRole of ${roleName} in account ${accountId} was denied`,
      details,
    );
  }
  return new AccountsException(
    AccountsErrorCode.AccountCredentialsUnavailable,
    `AssumeRole of ${roleName} in account ${accountId} failed (${describeFailure(err)})`,
    { ...details, ...(isThrottling(err) ? { retryAfterSeconds: 30 } : {}) },
  );
}
