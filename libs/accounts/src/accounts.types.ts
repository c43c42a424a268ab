import type { AwsCredentialIdentityProvider } from '@smithy/types';

export type { AwsCredentialIdentityProvider };

export const ACCOUNTS_SOURCES = ['self', 'list', 'organizations'] as const;
export type AccountsSource = (typeof ACCOUNTS_SOURCES)[number];

export interface CallerIdentity {
  accountId: string;
  arn: string;
  /** aws, aws-cn, aws-us-gov, ...: the partition every ARN the service builds must use. */
  partition: string;
}

/** One account to scan and the credentials that reach it. */
export interface ScanAccount {
  accountId: string;
  /** Known in organizations mode. */
  accountName?: string;
  /** The service's own account: scanned with its own credentials, never through AssumeRole. */
  self: boolean;
  /** Undefined for the own account (the SDK's default chain); an AssumeRole provider for every other one. */
  credentials?: AwsCredentialIdentityProvider;
}

/** An account of the organization that is configured but cannot be scanned, listed so it is never silently dropped. */
export interface SkippedAccount {
  accountId: string;
  accountName?: string;
  /** Why, e.g. the account's state: SUSPENDED, PENDING_CLOSURE. */
  reason: string;
}

export interface AccountPlan {
  accounts: ScanAccount[];
  skipped: SkippedAccount[];
}

/** An account as Organizations lists it. */
export interface OrganizationAccount {
  id: string;
  name?: string;
  /** ACTIVE, SUSPENDED, PENDING_CLOSURE, ... (the account's State, or its older Status). */
  state: string;
}

export type OrganizationChildType = 'ACCOUNT' | 'ORGANIZATIONAL_UNIT';
