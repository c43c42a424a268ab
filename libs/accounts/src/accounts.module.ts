import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { accountsConfig } from './config/accounts.config';
import { AccountDirectory } from './directory/account-directory';
import { OrganizationsClientProvider } from './organizations/organizations-client.provider';
import { StsClientProvider } from './sts/sts-client.provider';

const accountsConfigModule = ConfigModule.forFeature(accountsConfig);

@Module({
  imports: [accountsConfigModule],
  providers: [StsClientProvider, OrganizationsClientProvider, AccountDirectory],
  // The config goes out too: the scanner reads ACCOUNT_CONCURRENCY from it.
  exports: [accountsConfigModule, StsClientProvider, OrganizationsClientProvider, AccountDirectory],
})
export class AccountsModule {}
