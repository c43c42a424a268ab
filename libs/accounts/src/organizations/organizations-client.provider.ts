import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
  type Account,
  type OrganizationsClientConfig,
} from '@aws-sdk/client-organizations';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Mutex } from 'async-mutex';
import { awsHttpHandler, redactUserinfo } from '@app/platform';
import type { OrganizationAccount, OrganizationChildType } from '../accounts.types';
import { awsErrorName, describeFailure, isDenied, isThrottling } from '../aws-errors';
import { accountsConfig } from '../config/accounts.config';
import { AccountsErrorCode, AccountsException } from '../errors/accounts.exception';

interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * The only door to AWS Organizations. Every listing follows NextToken to its end, and any failure throws an
 * AccountsException: an organization whose accounts could not be read is an error, never an empty list.
 */
@Injectable()
export class OrganizationsClientProvider implements OnModuleDestroy {
  private readonly logger = new Logger(OrganizationsClientProvider.name);
  private readonly mutex = new Mutex();
  private client?: OrganizationsClient;

  constructor(@Inject(accountsConfig.KEY) private readonly config: ConfigType<typeof accountsConfig>) {}

  listAccounts(): Promise<OrganizationAccount[]> {
    return this.all('ListAccounts', async (c, NextToken) => {
      const out = await c.send(new ListAccountsCommand({ NextToken }));
      return { items: (out.Accounts ?? []).map(toAccount), nextToken: out.NextToken };
    });
  }

  /** The ids of a root's or OU's direct children of one type. */
  listChildren(parentId: string, type: OrganizationChildType): Promise<string[]> {
    return this.all(
      'ListChildren',
      async (c, NextToken) => {
        const out = await c.send(new ListChildrenCommand({ ParentId: parentId, ChildType: type, NextToken }));
        return { items: (out.Children ?? []).map((ch) => req(ch.Id, 'ListChildren', 'Id')), nextToken: out.NextToken };
      },
      parentId,
    );
  }

  /** The accounts directly under a root or OU (not those of its nested OUs). */
  listAccountsForParent(parentId: string): Promise<OrganizationAccount[]> {
    return this.all(
      'ListAccountsForParent',
      async (c, NextToken) => {
        const out = await c.send(new ListAccountsForParentCommand({ ParentId: parentId, NextToken }));
        return { items: (out.Accounts ?? []).map(toAccount), nextToken: out.NextToken };
      },
      parentId,
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.mutex.runExclusive(() => {
      this.client?.destroy();
      this.client = undefined;
    });
  }

  private async all<T>(
    action: string,
    page: (client: OrganizationsClient, nextToken: string | undefined) => Promise<Page<T>>,
    parentId?: string,
  ): Promise<T[]> {
    const client = await this.getClient();
    const items: T[] = [];
    const seen = new Set<string>();
    let nextToken: string | undefined;
    do {
      let out: Page<T>;
      try {
        out = await page(client, nextToken);
      } catch (err) {
        throw organizationsError(err, action, parentId);
      }
      items.push(...out.items);
      nextToken = out.nextToken || undefined;
      // A token handed out twice would loop forever; the listing is unknown rather than endless.
      if (nextToken !== undefined) {
        if (seen.has(nextToken)) {
          throw new AccountsException(
            AccountsErrorCode.OrganizationsUnavailable,
            `Organizations repeated a page token during ${action}`,
            { action },
          );
        }
        seen.add(nextToken);
      }
    } while (nextToken !== undefined);
    return items;
  }

  private async getClient(): Promise<OrganizationsClient> {
    if (this.client) {
      return this.client;
    }
    return this.mutex.runExclusive(() => {
      if (!this.client) {
        const { region, maxAttempts, organizationsEndpoint: endpoint } = this.config;
        const options: OrganizationsClientConfig = {
          region,
          maxAttempts,
          retryMode: 'standard',
          requestHandler: awsHttpHandler(this.config),
          ...(endpoint ? { endpoint } : {}),
        };
        this.client = new OrganizationsClient(options);
        this.logger.log(
          endpoint
            ? `Organizations client created for endpoint ${redactUserinfo(endpoint)}`
            : 'Organizations client created',
        );
      }
      return this.client;
    });
  }
}

function toAccount(a: Account): OrganizationAccount {
  // Status is deprecated in favour of State (September 2026); read the new field first, the old one as a fallback.
  return { id: req(a.Id, 'ListAccounts', 'Id'), name: a.Name, state: a.State ?? a.Status ?? 'UNKNOWN' };
}

function req<T>(value: T | undefined, action: string, field: string): T {
  if (value === undefined || value === null) {
    throw new AccountsException(
      AccountsErrorCode.OrganizationsUnavailable,
      `Organizations answered ${action} without ${field}`,
      {
        action,
      },
    );
  }
  return value;
}

function organizationsError(err: unknown, action: string, parentId: string | undefined): AccountsException {
  if (err instanceof AccountsException) {
    return err;
  }
  const name = awsErrorName(err);
  const details = { action, awsErrorName: name, cause: err };
  if (isDenied(err)) {
    return new AccountsException(
      AccountsErrorCode.OrganizationsAccessDenied,
      `Organizations denied ${action} to the service's credentials (call it from the management or a delegated administrator account)`,
      details,
    );
  }
  if (name === 'AWSOrganizationsNotInUseException') {
    return new AccountsException(
      AccountsErrorCode.OrganizationsNotInUse,
      "The service's account is not a member of an organization",
      details,
    );
  }
  if ((name === 'ParentNotFoundException' || name === 'TargetNotFoundException') && parentId) {
    return new AccountsException(
      AccountsErrorCode.OrganizationsParentNotFound,
      `The organization has no root or OU ${parentId} (ORG_INCLUDE_OUS)`,
      details,
    );
  }
  return new AccountsException(
    AccountsErrorCode.OrganizationsUnavailable,
    `Organizations call ${action} failed (${describeFailure(err)})`,
    { ...details, ...(isThrottling(err) ? { retryAfterSeconds: 30 } : {}) },
  );
}
