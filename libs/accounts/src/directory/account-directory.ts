import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { AccountPlan, OrganizationAccount, ScanAccount, SkippedAccount } from '../accounts.types';
import { accountsConfig } from '../config/accounts.config';
import { OrganizationsClientProvider } from '../organizations/organizations-client.provider';
import { StsClientProvider } from '../sts/sts-client.provider';

const byId = (a: { accountId: string }, b: { accountId: string }) => a.accountId.localeCompare(b.accountId);

/**
 * Which accounts a scan covers and how to get into each (ACCOUNTS_SOURCE). Read again for every scan, so an
 * account that joins, leaves or is suspended is seen by the next one; only the AssumeRole sessions persist.
 */
@Injectable()
export class AccountDirectory {
  private readonly logger = new Logger(AccountDirectory.name);

  constructor(
    @Inject(accountsConfig.KEY) private readonly config: ConfigType<typeof accountsConfig>,
    private readonly sts: StsClientProvider,
    private readonly organizations: OrganizationsClientProvider,
  ) {}

  async resolve(): Promise<AccountPlan> {
    const { source } = this.config;
    const own = (await this.sts.callerIdentity()).accountId;
    switch (source) {
      case 'self':
        return { accounts: [{ accountId: own, self: true }], skipped: [] };
      case 'list':
        return { accounts: this.config.accountIds.map((id) => this.scanAccount(own, id)).sort(byId), skipped: [] };
      case 'organizations':
        return this.fromOrganization(own);
      default: {
        const _exhaustive: never = source;
        throw new Error(`Unknown ACCOUNTS_SOURCE ${String(_exhaustive)}`);
      }
    }
  }

  private async fromOrganization(own: string): Promise<AccountPlan> {
    const listed =
      this.config.includeOus.length > 0
        ? await this.accountsUnder(this.config.includeOus)
        : await this.organizations.listAccounts();
    const excluded = new Set(this.config.excludeAccounts);
    const unique = new Map<string, OrganizationAccount>();
    for (const account of listed) {
      if (!excluded.has(account.id)) {
        unique.set(account.id, account);
      }
    }
    const accounts: ScanAccount[] = [];
    const skipped: SkippedAccount[] = [];
    for (const { id, name, state } of unique.values()) {
      if (state === 'ACTIVE') {
        accounts.push(this.scanAccount(own, id, name));
      } else {
        skipped.push({ accountId: id, ...(name === undefined ? {} : { accountName: name }), reason: state });
      }
    }
    this.logger.debug(`organization: ${accounts.length} accounts to scan, ${skipped.length} skipped`);
    return { accounts: accounts.sort(byId), skipped: skipped.sort(byId) };
  }

  /** Every account under the given roots/OUs, nested OUs included, each parent visited once. */
  private async accountsUnder(parents: string[]): Promise<OrganizationAccount[]> {
    const accounts: OrganizationAccount[] = [];
    const visited = new Set<string>();
    const queue = [...parents];
    for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
      if (visited.has(parent)) {
        continue;
      }
      visited.add(parent);
      accounts.push(...(await this.organizations.listAccountsForParent(parent)));
      queue.push(...(await this.organizations.listChildren(parent, 'ORGANIZATIONAL_UNIT')));
    }
    return accounts;
  }

  private scanAccount(own: string, accountId: string, accountName?: string): ScanAccount {
    const named = accountName === undefined ? {} : { accountName };
    return accountId === own
      ? { accountId, ...named, self: true }
      : { accountId, ...named, self: false, credentials: this.sts.roleCredentials(accountId) };
  }
}
