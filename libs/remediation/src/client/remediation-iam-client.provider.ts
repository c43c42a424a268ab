import {
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  paginateListAccessKeys,
  paginateListUserTags,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { Mutex } from 'async-mutex';
import { StsClientProvider } from '@app/accounts';
import { iamConfig } from '@app/iam';
import { awsHttpHandler, redactUserinfo } from '@app/platform';
import { remediationConfig } from '../config/remediation.config';
import type { LiveAccessKey, LiveLastUse, RemediationIamClient, RemediationIamClients } from './remediation-iam.client';

function isNoSuchEntity(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'NoSuchEntityException' || name === 'NoSuchEntity';
}

class SdkRemediationIamClient implements RemediationIamClient {
  constructor(
    readonly accountId: string,
    private readonly client: IAMClient,
  ) {}

  async listAccessKeys(userName: string): Promise<LiveAccessKey[]> {
    const keys: LiveAccessKey[] = [];
    try {
      for await (const page of paginateListAccessKeys({ client: this.client }, { UserName: userName })) {
        for (const key of page.AccessKeyMetadata ?? []) {
          if (key.AccessKeyId && key.CreateDate && (key.Status === 'Active' || key.Status === 'Inactive')) {
            keys.push({ accessKeyId: key.AccessKeyId, status: key.Status, createdAt: key.CreateDate });
          }
        }
      }
    } catch (err) {
      if (isNoSuchEntity(err)) {
        return [];
      }
      throw err;
    }
    return keys;
  }

  async lastUse(accessKeyId: string): Promise<LiveLastUse | null> {
    try {
      const out = await this.client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
      return { userName: out.UserName ?? null, lastUsedAt: out.AccessKeyLastUsed?.LastUsedDate ?? null };
    } catch (err) {
      if (isNoSuchEntity(err)) {
        return null;
      }
      throw err;
    }
  }

  async userTags(userName: string): Promise<Record<string, string>> {
    const tags: Record<string, string> = {};
    try {
      for await (const page of paginateListUserTags({ client: this.client }, { UserName: userName })) {
        for (const tag of page.Tags ?? []) {
          if (tag.Key !== undefined) {
            tags[tag.Key] = tag.Value ?? '';
          }
        }
      }
    } catch (err) {
      if (isNoSuchEntity(err)) {
        return {};
      }
      throw err;
    }
    return tags;
  }

  async deactivate(userName: string, accessKeyId: string): Promise<void> {
    await this.client.send(
      new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' }),
    );
  }

  async delete(userName: string, accessKeyId: string): Promise<void> {
    await this.client.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
  }
}

/**
 * The only place the remediation job builds IAM clients: one per account, the service's own account with its own
 * credentials (the remediator's ServiceAccount role), every other through AssumeRole into REMEDIATION_ROLE_NAME.
 * Kept apart from the scanner's IamClientRegistry so nothing the API loads can reach a write action.
 */
@Injectable()
export class RemediationIamClientProvider implements RemediationIamClients, OnModuleDestroy {
  private readonly logger = new Logger(RemediationIamClientProvider.name);
  private readonly mutex = new Mutex();
  private readonly clients = new Map<string, SdkRemediationIamClient>();
  private readonly sdkClients: IAMClient[] = [];
  private handler?: NodeHttpHandler;

  constructor(
    @Inject(iamConfig.KEY) private readonly iam: ConfigType<typeof iamConfig>,
    @Inject(remediationConfig.KEY) private readonly config: ConfigType<typeof remediationConfig>,
    private readonly sts: StsClientProvider,
  ) {}

  async forAccount(accountId: string): Promise<RemediationIamClient> {
    const known = this.clients.get(accountId);
    if (known) {
      return known;
    }
    const own = (await this.sts.callerIdentity()).accountId;
    return this.mutex.runExclusive(() => {
      let client = this.clients.get(accountId);
      if (!client) {
        this.handler ??= awsHttpHandler(this.iam);
        const sdk = new IAMClient({
          region: this.iam.region,
          maxAttempts: this.iam.maxAttempts,
          retryMode: 'standard',
          requestHandler: this.handler,
          ...(this.iam.endpoint ? { endpoint: this.iam.endpoint } : {}),
          ...(accountId === own ? {} : { credentials: this.sts.roleCredentials(accountId, this.config.roleName) }),
        });
        this.sdkClients.push(sdk);
        client = new SdkRemediationIamClient(accountId, sdk);
        this.clients.set(accountId, client);
        const where = this.iam.endpoint ? ` at ${redactUserinfo(this.iam.endpoint)}` : '';
        const who = accountId === own ? 'own credentials' : `role ${this.config.roleName}`;
        this.logger.log(`Remediation IAM client for account ${accountId} (${who})${where}`);
      }
      return client;
    });
  }

  onModuleDestroy(): void {
    this.sdkClients.splice(0).forEach((c) => c.destroy());
    this.clients.clear();
    this.handler?.destroy();
    this.handler = undefined;
  }
}
