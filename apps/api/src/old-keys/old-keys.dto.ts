import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { ErrorBodyDto } from '@app/platform';
import { Transform } from 'class-transformer';
import { IsArray, IsBoolean, IsDefined, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import {
  MAX_HOURS,
  type AccountAccessKey,
  type AccountOutcome,
  type AccountRootKey,
  type OrganizationScanResult,
} from '@app/iam';

const HOURS_MESSAGE = `hours must be an integer from 0 to ${MAX_HOURS}`;
const HOURS_REQUIRED = 'hours is required';

/** Query strings are text: only plain digits become a number; `1.5`, `1e3`, `-1`, `` and arrays stay invalid. */
const QueryInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value,
  );

const QueryBool = () =>
  Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));

const ACCOUNT_ID = /^\d{12}$/;
const ACCOUNT_ID_MESSAGE = 'each account_id must be a 12-digit AWS account id';

/** `?account_id=1&account_id=2` arrives as an array, a single one as a string: both become a list. */
const QueryList = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value));

const accountIdDoc: ApiPropertyOptions = {
  description:
    'Only these accounts (each one of the configured accounts; an id outside them is a 400). Default: every configured account',
  // No example: Swagger UI would fill it in, and "Try it out" would narrow to an account that may not be configured.
  type: [String],
};

const allowPartialDoc = {
  description:
    'Answer 200 with `complete: false` when some accounts failed (each listed in `accounts`), instead of 502 ACCOUNTS_FAILED',
  default: false,
} as const;

const hoursDoc = {
  description: 'Report keys at least this many hours old',
  minimum: 0,
  maximum: MAX_HOURS,
  example: 2160,
  type: 'integer',
} as const;

const includeInactiveDoc = {
  description: 'Also report Inactive keys (by default only Active keys, the ones in use)',
  default: false,
} as const;

export class ListUsersQueryDto {
  @ApiProperty(hoursDoc)
  @QueryInt()
  @IsDefined({ message: HOURS_REQUIRED })
  @IsInt({ message: HOURS_MESSAGE })
  @Min(0, { message: HOURS_MESSAGE })
  @Max(MAX_HOURS, { message: HOURS_MESSAGE })
  hours: number;

  @ApiPropertyOptional({ ...includeInactiveDoc, type: Boolean })
  @IsOptional()
  @QueryBool()
  @IsBoolean({ message: 'include_inactive must be true or false' })
  include_inactive?: boolean;

  @ApiPropertyOptional({ ...allowPartialDoc, type: Boolean })
  @IsOptional()
  @QueryBool()
  @IsBoolean({ message: 'allow_partial must be true or false' })
  allow_partial?: boolean;

  @ApiPropertyOptional({ ...accountIdDoc, description: `${String(accountIdDoc.description)}. Repeat it for several` })
  @IsOptional()
  @QueryList()
  @IsArray({ message: ACCOUNT_ID_MESSAGE })
  @Matches(ACCOUNT_ID, { each: true, message: ACCOUNT_ID_MESSAGE })
  account_id?: string[];
}

export class CredentialReportBodyDto {
  @ApiProperty(hoursDoc)
  @IsDefined({ message: HOURS_REQUIRED })
  @IsInt({ message: HOURS_MESSAGE })
  @Min(0, { message: HOURS_MESSAGE })
  @Max(MAX_HOURS, { message: HOURS_MESSAGE })
  hours: number;

  @ApiPropertyOptional({ ...includeInactiveDoc, type: Boolean })
  @IsOptional()
  @IsBoolean({ message: 'include_inactive must be a JSON boolean' })
  include_inactive?: boolean;

  @ApiPropertyOptional({ ...allowPartialDoc, type: Boolean })
  @IsOptional()
  @IsBoolean({ message: 'allow_partial must be a JSON boolean' })
  allow_partial?: boolean;

  @ApiPropertyOptional(accountIdDoc)
  @IsOptional()
  @IsArray({ message: 'account_id must be an array of 12-digit AWS account ids' })
  @Matches(ACCOUNT_ID, { each: true, message: ACCOUNT_ID_MESSAGE })
  account_id?: string[];
}

const accountNameDoc = {
  example: 'payments-prod',
  description: 'The account name, when Organizations lists it (ACCOUNTS_SOURCE=organizations)',
} as const;

/** Every key and every account entry says which account it is about. */
const accountOf = (ref: { accountId: string; accountName?: string }) => ({
  account_id: ref.accountId,
  ...(ref.accountName === undefined ? {} : { account_name: ref.accountName }),
});

export class OldAccessKeyDto {
  @ApiProperty({ example: '111111111111', description: 'The account the key belongs to' })
  account_id: string;

  @ApiPropertyOptional(accountNameDoc)
  account_name?: string;

  @ApiProperty({ example: 'deploy-bot' })
  user_name: string;

  @ApiProperty({ example: 'AKIAIOSFODNN7EXAMPLE' })
  access_key_id: string;

  @ApiProperty({ example: '2025-01-02T03:04:05.000Z', format: 'date-time' })
  created_date: string;

  @ApiProperty({ enum: ['Active', 'Inactive'], example: 'Active' })
  status: string;

  @ApiProperty({ example: 8123.4, description: 'Age in hours, one decimal' })
  age_hours: number;

  static from(key: AccountAccessKey): OldAccessKeyDto {
    return {
      ...accountOf(key),
      user_name: key.userName,
      access_key_id: key.accessKeyId,
      created_date: key.createdDate.toISOString(),
      status: key.status,
      age_hours: key.ageHours,
    };
  }
}

export class RootAccessKeyDto {
  @ApiProperty({ example: '111111111111', description: 'The account whose root user owns the key' })
  account_id: string;

  @ApiPropertyOptional(accountNameDoc)
  account_name?: string;

  @ApiProperty({ example: 1, enum: [1, 2] })
  slot: number;

  @ApiProperty({ example: true })
  active: boolean;

  @ApiProperty({ example: '2019-05-06T07:08:09.000Z', format: 'date-time' })
  last_rotated: string;

  @ApiProperty({ example: 66000.5 })
  age_hours: number;

  static from(key: AccountRootKey): RootAccessKeyDto {
    return {
      ...accountOf(key),
      slot: key.slot,
      active: key.active,
      last_rotated: key.lastRotated.toISOString(),
      age_hours: key.ageHours,
    };
  }
}

export class AccountOutcomeDto {
  @ApiProperty({ example: '111111111111' })
  account_id: string;

  @ApiPropertyOptional(accountNameDoc)
  account_name?: string;

  @ApiProperty({
    enum: ['ok', 'failed', 'skipped'],
    description: 'ok: scanned; failed: not scanned, see code/action/message; skipped: not scannable, see reason',
  })
  status: 'ok' | 'failed' | 'skipped';

  @ApiPropertyOptional({ format: 'date-time', description: 'ok: when this account\u2019s IAM was read' })
  data_read_at?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'ok, credential-report: when AWS generated its report' })
  report_generated_at?: string;

  @ApiPropertyOptional({ example: 3, description: 'ok: how many of `old_access_keys` are this account\u2019s' })
  key_count?: number;

  @ApiPropertyOptional({ example: 'ACCOUNT_ACCESS_DENIED', description: 'failed: the code an error body would carry' })
  code?: string;

  @ApiPropertyOptional({ example: 'AssumeRole', description: 'failed: the AWS action that failed' })
  action?: string;

  @ApiPropertyOptional({
    example: 'AssumeRole of IamKeyMonitorReadOnly in account 210987654321 was denied',
    description: 'failed: for people; never AWS\u2019s own error text',
  })
  message?: string;

  @ApiPropertyOptional({ example: 30, description: 'failed, when retrying later may help' })
  retry_after_seconds?: number;

  @ApiPropertyOptional({
    example: 'SUSPENDED',
    description: 'skipped: why (the account\u2019s state in Organizations)',
  })
  reason?: string;

  static from(outcome: AccountOutcome): AccountOutcomeDto {
    const base = accountOf(outcome);
    switch (outcome.status) {
      case 'ok':
        return {
          ...base,
          status: 'ok',
          data_read_at: outcome.dataReadAt.toISOString(),
          ...(outcome.reportGeneratedAt ? { report_generated_at: outcome.reportGeneratedAt.toISOString() } : {}),
          key_count: outcome.keyCount,
        };
      case 'failed':
        return {
          ...base,
          status: 'failed',
          code: outcome.code,
          ...(outcome.action === undefined ? {} : { action: outcome.action }),
          message: outcome.message,
          ...(outcome.retryAfterSeconds === undefined ? {} : { retry_after_seconds: outcome.retryAfterSeconds }),
        };
      case 'skipped':
        return { ...base, status: 'skipped', reason: outcome.reason };
      default: {
        const _exhaustive: never = outcome;
        throw new Error(`Unknown account status ${JSON.stringify(_exhaustive)}`);
      }
    }
  }
}

export class OldAccessKeysResponseDto {
  @ApiProperty({ type: [OldAccessKeyDto], description: 'IAM users\u2019 keys, oldest first' })
  old_access_keys: OldAccessKeyDto[];

  @ApiProperty({
    type: [RootAccessKeyDto],
    description:
      'Root account access keys past the threshold: the worst finding. Only the credential report can see them; always empty for list-users.',
  })
  root_access_keys: RootAccessKeyDto[];

  @ApiProperty({ example: 1 })
  count: number;

  @ApiProperty({ enum: ['list-users', 'credential-report'] })
  source: string;

  @ApiProperty({ example: 2160 })
  hours: number;

  @ApiProperty({ example: false })
  include_inactive: boolean;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When IAM was read (for the report: when AWS generated it); across accounts, the oldest of the accounts that answered. Absent when none did',
  })
  data_read_at?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When AWS generated the credential report (the oldest of the accounts that answered)',
  })
  report_generated_at?: string;

  @ApiProperty({
    example: true,
    description: 'false when some account failed (only with allow_partial=true; otherwise the answer is a 502)',
  })
  complete: boolean;

  @ApiProperty({ type: [AccountOutcomeDto], description: 'Every account asked about, by id: ok, failed or skipped' })
  accounts: AccountOutcomeDto[];

  static from(result: OrganizationScanResult): OldAccessKeysResponseDto {
    const reports = result.accounts.flatMap((a) =>
      a.status === 'ok' && a.reportGeneratedAt ? [a.reportGeneratedAt.getTime()] : [],
    );
    return {
      old_access_keys: result.keys.map((k) => OldAccessKeyDto.from(k)),
      root_access_keys: result.rootKeys.map((k) => RootAccessKeyDto.from(k)),
      count: result.keys.length,
      source: result.source,
      hours: result.query.hours,
      include_inactive: result.query.includeInactive,
      ...(result.dataReadAt ? { data_read_at: result.dataReadAt.toISOString() } : {}),
      ...(reports.length > 0 ? { report_generated_at: new Date(Math.min(...reports)).toISOString() } : {}),
      complete: result.complete,
      accounts: result.accounts.map((a) => AccountOutcomeDto.from(a)),
    };
  }
}

const EXAMPLE_READ_AT = '2025-11-23T08:03:18.000Z';

/** What a 200 looks like, shown in the API docs; `count` and `key_count` match the list as in a real answer. */
export const LIST_USERS_RESPONSE_EXAMPLE: OldAccessKeysResponseDto = {
  old_access_keys: [
    {
      account_id: '210987654321',
      account_name: 'payments-prod',
      user_name: 'ci.bot@payments',
      access_key_id: 'AKIA3EXAMPLE7Q2XK4TZ',
      created_date: '2021-03-14T09:26:53.000Z',
      status: 'Active',
      age_hours: 41158.6,
    },
    {
      account_id: '111111111111',
      account_name: 'management',
      user_name: 'alice.chen@corp',
      access_key_id: 'AKIA3EXAMPLEB6MN2HQP',
      created_date: '2025-06-30T17:45:00.000Z',
      status: 'Active',
      age_hours: 3494.3,
    },
  ],
  root_access_keys: [],
  count: 2,
  source: 'list-users',
  hours: 2160,
  include_inactive: false,
  data_read_at: EXAMPLE_READ_AT,
  complete: true,
  accounts: [
    {
      account_id: '111111111111',
      account_name: 'management',
      status: 'ok',
      data_read_at: EXAMPLE_READ_AT,
      key_count: 1,
    },
    {
      account_id: '210987654321',
      account_name: 'payments-prod',
      status: 'ok',
      data_read_at: '2025-11-23T08:03:19.000Z',
      key_count: 1,
    },
    { account_id: '345678901234', account_name: 'old-sandbox', status: 'skipped', reason: 'SUSPENDED' },
  ],
};

export const CREDENTIAL_REPORT_RESPONSE_EXAMPLE: OldAccessKeysResponseDto = {
  ...LIST_USERS_RESPONSE_EXAMPLE,
  root_access_keys: [
    {
      account_id: '210987654321',
      account_name: 'payments-prod',
      slot: 1,
      active: true,
      last_rotated: '2019-05-06T07:08:09.000Z',
      age_hours: 57432.9,
    },
  ],
  source: 'credential-report',
  report_generated_at: EXAMPLE_READ_AT,
  accounts: LIST_USERS_RESPONSE_EXAMPLE.accounts.map((a) =>
    a.status === 'ok' ? { ...a, report_generated_at: a.data_read_at } : a,
  ),
};

/** A scan's error: the one error shape, plus every account's outcome once the accounts are known. */
export class ScanErrorBodyDto extends ErrorBodyDto {
  @ApiPropertyOptional({
    type: [AccountOutcomeDto],
    description:
      'Every account asked about (ok, failed or skipped): always on 502 ACCOUNTS_FAILED, and on the error of the one account a scan covered',
  })
  accounts?: AccountOutcomeDto[];
}
