import { registerAs } from '@nestjs/config';
import { IsArray, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { EnvValidationError, ToInt, ToList, validateEnv } from '@app/platform';
import { ACCOUNTS_SOURCES, type AccountsSource } from '../accounts.types';

const ACCOUNT_ID = /^\d{12}$/;
/** A root (r-…) or an OU (ou-<root part>-<ou part>), as Organizations spells them. */
const PARENT_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32})$/;
/** What IAM accepts as a role name (no path: the role ARN is built as role/<name>). */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID_MESSAGE = 'ACCOUNT_ROLE_EXTERNAL_ID must be 2-1224 of letters, digits and +=,.@:/_-';
const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class AccountsEnv {
  @IsIn(ACCOUNTS_SOURCES)
  ACCOUNTS_SOURCE: string = 'self';

  /** Comma-separated 12-digit ids; required with ACCOUNTS_SOURCE=list (checked in loadAccountsConfig). */
  @IsOptional()
  @ToList()
  @IsArray()
  @Matches(ACCOUNT_ID, { each: true, message: 'each of ACCOUNT_IDS must be a 12-digit account id' })
  ACCOUNT_IDS?: string[];

  @IsOptional()
  @ToList()
  @IsArray()
  @Matches(PARENT_ID, { each: true, message: 'each of ORG_INCLUDE_OUS must be a root id (r-…) or an OU id (ou-…-…)' })
  ORG_INCLUDE_OUS?: string[];

  @IsOptional()
  @ToList()
  @IsArray()
  @Matches(ACCOUNT_ID, { each: true, message: 'each of ORG_EXCLUDE_ACCOUNTS must be a 12-digit account id' })
  ORG_EXCLUDE_ACCOUNTS?: string[];

  /** Required with list and organizations, and deliberately without a default (never OrganizationAccountAccessRole). */
  @IsOptional()
  @IsString()
  @Matches(ROLE_NAME, { message: 'ACCOUNT_ROLE_NAME must be an IAM role name: 1-64 of letters, digits and +=,.@_-' })
  ACCOUNT_ROLE_NAME?: string;

  @IsOptional()
  @IsString()
  @Matches(EXTERNAL_ID, { message: EXTERNAL_ID_MESSAGE })
  ACCOUNT_ROLE_EXTERNAL_ID?: string;

  @IsString()
  @Matches(SESSION_NAME, { message: 'ACCOUNT_ROLE_SESSION_NAME must be 2-64 of letters, digits and +=,.@_-' })
  ACCOUNT_ROLE_SESSION_NAME: string = 'iam-key-monitor';

  /** Accounts scanned at once, each with its own IAM_CONCURRENCY requests at IAM. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(64)
  ACCOUNT_CONCURRENCY: number = 8;

  /** One HTTP attempt at STS or Organizations; the SDK retries a timed-out attempt. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(300_000)
  ACCOUNTS_REQUEST_TIMEOUT_MS: number = 10_000;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  ACCOUNTS_CONNECTION_TIMEOUT_MS: number = 3_000;

  @IsOptional()
  @IsString()
  AWS_REGION: string = 'us-east-1';

  @IsOptional()
  @IsUrl(URL_OPTIONS)
  AWS_ENDPOINT_URL_STS?: string;

  @IsOptional()
  @IsUrl(URL_OPTIONS)
  AWS_ENDPOINT_URL_ORGANIZATIONS?: string;

  @IsOptional()
  @IsUrl(URL_OPTIONS)
  AWS_ENDPOINT_URL?: string;
}

export interface AccountsConfig {
  source: AccountsSource;
  /** list mode: the accounts to scan, without duplicates. */
  accountIds: string[];
  /** organizations mode: only the accounts under these roots/OUs (nested OUs included); empty means all. */
  includeOus: string[];
  excludeAccounts: string[];
  /** Set whenever source is not self. */
  roleName?: string;
  roleExternalId?: string;
  roleSessionName: string;
  concurrency: number;
  region: string;
  stsEndpoint?: string;
  organizationsEndpoint?: string;
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  /** Sockets of each of the STS and Organizations clients: at most one AssumeRole per account being scanned. */
  maxSockets: number;
  maxAttempts: number;
}

const SECRET_VARIABLE = 'ACCOUNT_ROLE_EXTERNAL_ID';

/** The ExternalId is a shared secret of the trust policy: a wrong one must not reach the logs either. */
const hideExternalId = (problems: string[]): string[] =>
  problems.map((p) =>
    p.startsWith(`${SECRET_VARIABLE} (`) ? `${SECRET_VARIABLE} (value hidden): ${EXTERNAL_ID_MESSAGE}` : p,
  );

const unique = (ids: string[] | undefined): string[] => [...new Set(ids ?? [])];

export function loadAccountsConfig(raw: NodeJS.ProcessEnv | Record<string, string | undefined>): AccountsConfig {
  let env: AccountsEnv;
  try {
    env = validateEnv(AccountsEnv, raw);
  } catch (err) {
    if (err instanceof EnvValidationError) {
      throw new EnvValidationError(hideExternalId(err.problems));
    }
    throw err;
  }
  const source = env.ACCOUNTS_SOURCE as AccountsSource;
  const problems: string[] = [];
  // A setting the chosen source would ignore is refused: an exclusion that silently does nothing is worse than none.
  const onlyWith = (name: keyof AccountsEnv, wanted: AccountsSource, value: string[] | undefined) => {
    if (value !== undefined && source !== wanted) {
      problems.push(`${name} (${JSON.stringify(value.join(','))}): only read with ACCOUNTS_SOURCE=${wanted}`);
    }
  };
  onlyWith('ACCOUNT_IDS', 'list', env.ACCOUNT_IDS);
  onlyWith('ORG_INCLUDE_OUS', 'organizations', env.ORG_INCLUDE_OUS);
  onlyWith('ORG_EXCLUDE_ACCOUNTS', 'organizations', env.ORG_EXCLUDE_ACCOUNTS);
  if (source === 'list' && (env.ACCOUNT_IDS ?? []).length === 0) {
    problems.push('ACCOUNT_IDS (unset): required with ACCOUNTS_SOURCE=list; comma-separated 12-digit account ids');
  }
  if (source !== 'self' && env.ACCOUNT_ROLE_NAME === undefined) {
    problems.push(
      `ACCOUNT_ROLE_NAME (unset): required with ACCOUNTS_SOURCE=${source}; the read-only role to assume in each account (deploy/aws/member-role.cfn.yaml)`,
    );
  }
  if (problems.length > 0) {
    throw new EnvValidationError(problems);
  }
  return {
    source,
    accountIds: unique(env.ACCOUNT_IDS),
    includeOus: unique(env.ORG_INCLUDE_OUS),
    excludeAccounts: unique(env.ORG_EXCLUDE_ACCOUNTS),
    roleName: env.ACCOUNT_ROLE_NAME,
    roleExternalId: env.ACCOUNT_ROLE_EXTERNAL_ID,
    roleSessionName: env.ACCOUNT_ROLE_SESSION_NAME,
    concurrency: env.ACCOUNT_CONCURRENCY,
    region: env.AWS_REGION,
    stsEndpoint: env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL,
    organizationsEndpoint: env.AWS_ENDPOINT_URL_ORGANIZATIONS ?? env.AWS_ENDPOINT_URL,
    requestTimeoutMs: env.ACCOUNTS_REQUEST_TIMEOUT_MS,
    connectionTimeoutMs: env.ACCOUNTS_CONNECTION_TIMEOUT_MS,
    maxSockets: env.ACCOUNT_CONCURRENCY,
    maxAttempts: 3,
  };
}

export const accountsConfig = registerAs('accounts', (): AccountsConfig => loadAccountsConfig(process.env));
