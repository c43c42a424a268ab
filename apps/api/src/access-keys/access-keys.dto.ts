import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import {
  FINDING_CODES,
  viewOfExemption,
  type Exemption,
  type FindingCode,
  type InventoryKey,
  type InventoryResult,
  type InventoryRootKey,
} from '@app/findings';
import { MAX_HOURS, type ScanSource } from '@app/iam';
import { AccountOutcomeDto } from '../old-keys/old-keys.dto';

const MAX_DAYS = MAX_HOURS / 24;
const SOURCES: readonly ScanSource[] = ['credential-report', 'list-users'];
const STATUSES = ['Active', 'Inactive'] as const;

const QueryInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value,
  );
const QueryBool = () =>
  Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));
/** `?finding=old&finding=unused` arrives as an array, a single one as a string: both become a list. */
const QueryList = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value));

const ACCOUNT_ID_MESSAGE = 'each account_id must be a 12-digit AWS account id';
export const FINDING_MESSAGE = `each finding must be one of ${FINDING_CODES.join(', ')}`;
const OLDER_MESSAGE = `older_than_hours must be an integer from 1 to ${MAX_HOURS}`;
const UNUSED_MESSAGE = `unused_days must be an integer from 1 to ${MAX_DAYS}`;
const MAX_AGE_SECONDS = 31 * 86_400;
const MAX_AGE_MESSAGE = `max_age_seconds must be an integer from 0 to ${MAX_AGE_SECONDS}`;
const GRACE_MESSAGE = `never_used_grace_hours must be an integer from 0 to ${MAX_HOURS}`;

export class AccessKeysQueryDto {
  @ApiPropertyOptional({
    enum: FINDING_CODES,
    isArray: true,
    description: 'Only keys with at least one of these findings; repeat it for several. Default: every key',
  })
  @IsOptional()
  @QueryList()
  @IsArray({ message: FINDING_MESSAGE })
  @IsIn(FINDING_CODES, { each: true, message: FINDING_MESSAGE })
  finding?: FindingCode[];

  @ApiPropertyOptional({
    type: [String],
    example: ['111111111111'],
    description: 'Only these configured accounts (an id outside them is a 400); repeat it for several',
  })
  @IsOptional()
  @QueryList()
  @IsArray({ message: ACCOUNT_ID_MESSAGE })
  @Matches(/^\d{12}$/, { each: true, message: ACCOUNT_ID_MESSAGE })
  account_id?: string[];

  @ApiPropertyOptional({ enum: STATUSES, description: 'Only keys in this status' })
  @IsOptional()
  @IsIn(STATUSES, { message: 'status must be Active or Inactive' })
  status?: (typeof STATUSES)[number];

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'Also list keys whose every finding is exempted (by default they are left out and counted)',
  })
  @IsOptional()
  @QueryBool()
  @IsBoolean({ message: 'include_exempted must be true or false' })
  include_exempted?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_HOURS,
    description: '`old` from this age, for this request (default ROTATION_MAX_AGE_HOURS)',
  })
  @IsOptional()
  @QueryInt()
  @IsInt({ message: OLDER_MESSAGE })
  @Min(1, { message: OLDER_MESSAGE })
  @Max(MAX_HOURS, { message: OLDER_MESSAGE })
  older_than_hours?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_DAYS,
    description: '`unused` when last used at least this many days ago, for this request (default UNUSED_MAX_DAYS)',
  })
  @IsOptional()
  @QueryInt()
  @IsInt({ message: UNUSED_MESSAGE })
  @Min(1, { message: UNUSED_MESSAGE })
  @Max(MAX_DAYS, { message: UNUSED_MESSAGE })
  unused_days?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_HOURS,
    description: '`never_used` only from this key age, for this request (default NEVER_USED_GRACE_HOURS)',
  })
  @IsOptional()
  @QueryInt()
  @IsInt({ message: GRACE_MESSAGE })
  @Min(0, { message: GRACE_MESSAGE })
  @Max(MAX_HOURS, { message: GRACE_MESSAGE })
  never_used_grace_hours?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_AGE_SECONDS,
    description:
      'Data read longer ago than this is not good enough: the request waits (SCAN_WAIT_SECONDS at most) for a scan, joined if one runs, else 503 INVENTORY_NOT_FRESH. 0 asks for a scan now. Default: the latest stored inventory, however old (see each account\u2019s data_read_at)',
  })
  @IsOptional()
  @QueryInt()
  @IsInt({ message: MAX_AGE_MESSAGE })
  @Min(0, { message: MAX_AGE_MESSAGE })
  @Max(MAX_AGE_SECONDS, { message: MAX_AGE_MESSAGE })
  max_age_seconds?: number;

  @ApiPropertyOptional({
    enum: SOURCES,
    description:
      'The source of a scan this request starts (max_age_seconds): credential-report reads last use from the report (no extra calls, up to 4 h stale); list-users calls GetAccessKeyLastUsed per key. Default SCAN_SOURCE',
  })
  @IsOptional()
  @IsIn(SOURCES, { message: 'source must be credential-report or list-users' })
  source?: ScanSource;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      'Answer 200 with `complete: false` when some accounts failed (each listed in `accounts`), instead of 502 ACCOUNTS_FAILED',
  })
  @IsOptional()
  @QueryBool()
  @IsBoolean({ message: 'allow_partial must be true or false' })
  allow_partial?: boolean;
}

export class ExemptionMatchDto {
  @ApiPropertyOptional({ example: '111111111111' })
  account_id?: string;

  @ApiPropertyOptional({ example: 'svc-legacy-*', description: 'Exact, or a glob where * stands for any run' })
  user_name?: string;

  @ApiPropertyOptional({ example: 'AKIAIOSFODNN7EXAMPLE' })
  access_key_id?: string;
}

export class ExemptionDto {
  @ApiProperty({
    enum: ['file', 'tag'],
    description: 'EXEMPTIONS_FILE, or the user\u2019s iam-key-monitor:exempt-* tags',
  })
  source: 'file' | 'tag';

  @ApiProperty({ type: ExemptionMatchDto })
  match: ExemptionMatchDto;

  @ApiProperty({
    oneOf: [
      { type: 'string', enum: ['all'] },
      { type: 'array', items: { type: 'string', enum: [...FINDING_CODES] } },
    ],
    example: ['old'],
    description: 'The findings it covers',
  })
  findings: FindingCode[] | 'all';

  @ApiProperty({ example: 'Vendor appliance; replacement ordered' })
  reason: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-02-01T00:00:00.000Z',
    description: 'It stops applying at this instant',
  })
  expires_at: string;

  @ApiProperty({ type: String, nullable: true, example: 'SEC-1234' })
  ticket: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'security-team' })
  approved_by: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 3, description: 'The file\u2019s line (null for tags)' })
  line: number | null;

  static from(exemption: Exemption): ExemptionDto {
    return viewOfExemption(exemption);
  }
}

const accountOf = (key: { accountId: string; accountName?: string }) => ({
  account_id: key.accountId,
  ...(key.accountName === undefined ? {} : { account_name: key.accountName }),
});

const lastUseOf = (key: {
  lastUsedDate: Date | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
}) => ({
  last_used_date: key.lastUsedDate ? key.lastUsedDate.toISOString() : null,
  last_used_service: key.lastUsedService,
  last_used_region: key.lastUsedRegion,
});

class KeyLastUseDto {
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null when never used' })
  last_used_date: string | null;

  @ApiProperty({ type: String, nullable: true, example: 's3', description: 'null when IAM has none' })
  last_used_service: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'eu-west-1', description: 'null when IAM has none' })
  last_used_region: string | null;

  @ApiProperty({ enum: FINDING_CODES, isArray: true, example: ['old'], description: 'May be empty' })
  findings: FindingCode[];
}

export class InventoryKeyDto extends KeyLastUseDto {
  @ApiProperty({ example: '111111111111' })
  account_id: string;

  @ApiPropertyOptional({ example: 'payments-prod' })
  account_name?: string;

  @ApiProperty({ example: 'deploy-bot' })
  user_name: string;

  @ApiProperty({ example: 'AKIAIOSFODNN7EXAMPLE' })
  access_key_id: string;

  @ApiProperty({ enum: STATUSES })
  status: string;

  @ApiProperty({ format: 'date-time' })
  created_date: string;

  @ApiProperty({ example: 2400.5 })
  age_hours: number;

  @ApiProperty({ type: ExemptionDto, nullable: true, description: 'The exemption that applies, or null' })
  exemption: ExemptionDto | null;

  static from(key: InventoryKey): InventoryKeyDto {
    return {
      ...accountOf(key),
      user_name: key.userName,
      access_key_id: key.accessKeyId,
      status: key.status,
      created_date: key.createdDate.toISOString(),
      age_hours: key.ageHours,
      ...lastUseOf(key),
      findings: [...key.findings],
      exemption: key.exemption ? ExemptionDto.from(key.exemption) : null,
    };
  }
}

export class InventoryRootKeyDto extends KeyLastUseDto {
  @ApiProperty({ example: '111111111111' })
  account_id: string;

  @ApiPropertyOptional({ example: 'payments-prod' })
  account_name?: string;

  @ApiProperty({ enum: [1, 2] })
  slot: number;

  @ApiProperty({ enum: STATUSES })
  status: string;

  @ApiProperty({ format: 'date-time', description: 'The slot\u2019s last_rotated: the key\u2019s creation' })
  created_date: string;

  @ApiProperty({ example: 60000.5 })
  age_hours: number;

  static from(key: InventoryRootKey): InventoryRootKeyDto {
    return {
      ...accountOf(key),
      slot: key.slot,
      status: key.status,
      created_date: key.createdDate.toISOString(),
      age_hours: key.ageHours,
      ...lastUseOf(key),
      findings: [...key.findings],
    };
  }
}

export class ThresholdsDto {
  @ApiProperty({ example: 2160 })
  older_than_hours: number;

  @ApiProperty({ example: 45 })
  unused_days: number;

  @ApiProperty({ example: 1080 })
  never_used_grace_hours: number;
}

export class AccessKeysResponseDto {
  @ApiProperty({ type: [InventoryKeyDto], description: 'IAM users\u2019 keys after the filters, oldest first' })
  access_keys: InventoryKeyDto[];

  @ApiProperty({
    type: [InventoryRootKeyDto],
    description: 'Every root user key, whatever the filters (credential-report only; empty for list-users)',
  })
  root_access_keys: InventoryRootKeyDto[];

  @ApiProperty({ example: 1 })
  count: number;

  @ApiProperty({ example: 0, description: 'Keys the filters kept but left out as exempted (0 with include_exempted)' })
  exempted_count: number;

  @ApiProperty({ enum: SOURCES })
  source: ScanSource;

  @ApiPropertyOptional({ format: 'date-time', description: 'When IAM was read; across accounts, the oldest' })
  data_read_at?: string;

  @ApiProperty({ type: ThresholdsDto, description: 'The thresholds the findings were judged by' })
  thresholds: ThresholdsDto;

  @ApiProperty({ example: true })
  complete: boolean;

  @ApiProperty({ type: [AccountOutcomeDto] })
  accounts: AccountOutcomeDto[];

  static from(result: InventoryResult): AccessKeysResponseDto {
    return {
      access_keys: result.keys.map((k) => InventoryKeyDto.from(k)),
      root_access_keys: result.rootKeys.map((k) => InventoryRootKeyDto.from(k)),
      count: result.keys.length,
      exempted_count: result.exemptedCount,
      source: result.source,
      ...(result.dataReadAt && { data_read_at: result.dataReadAt.toISOString() }),
      thresholds: {
        older_than_hours: result.thresholds.rotationMaxAgeHours,
        unused_days: result.thresholds.unusedMaxDays,
        never_used_grace_hours: result.thresholds.neverUsedGraceHours,
      },
      complete: result.complete,
      accounts: result.accounts.map((a) => AccountOutcomeDto.from(a)),
    };
  }
}

/** What a 200 looks like in the API docs; `count` and `exempted_count` agree with the list as in a real answer. */
export const ACCESS_KEYS_RESPONSE_EXAMPLE: AccessKeysResponseDto = {
  access_keys: [
    {
      account_id: '210987654321',
      account_name: 'payments-prod',
      user_name: 'ci.bot@payments',
      access_key_id: 'AKIA3EXAMPLE7Q2XK4TZ',
      status: 'Active',
      created_date: '2025-03-14T09:26:53.000Z',
      age_hours: 6094.6,
      last_used_date: '2025-08-30T11:02:00.000Z',
      last_used_service: 's3',
      last_used_region: 'eu-west-1',
      findings: ['old', 'unused'],
      exemption: null,
    },
    {
      account_id: '111111111111',
      account_name: 'management',
      user_name: 'alice.chen@corp',
      access_key_id: 'AKIA3EXAMPLEB6MN2HQP',
      status: 'Active',
      created_date: '2025-09-30T17:45:00.000Z',
      age_hours: 1286.3,
      last_used_date: null,
      last_used_service: null,
      last_used_region: null,
      findings: ['never_used'],
      exemption: null,
    },
  ],
  root_access_keys: [
    {
      account_id: '210987654321',
      account_name: 'payments-prod',
      slot: 1,
      status: 'Active',
      created_date: '2019-05-06T07:08:09.000Z',
      age_hours: 57432.9,
      last_used_date: '2025-11-01T06:00:00.000Z',
      last_used_service: 'iam',
      last_used_region: 'us-east-1',
      findings: ['old'],
    },
  ],
  count: 2,
  exempted_count: 1,
  source: 'credential-report',
  data_read_at: '2025-11-23T08:03:18.000Z',
  thresholds: { older_than_hours: 2160, unused_days: 45, never_used_grace_hours: 1080 },
  complete: true,
  accounts: [
    {
      account_id: '111111111111',
      account_name: 'management',
      status: 'ok',
      data_read_at: '2025-11-23T08:03:18.000Z',
      report_generated_at: '2025-11-23T08:03:18.000Z',
      key_count: 14,
    },
    {
      account_id: '210987654321',
      account_name: 'payments-prod',
      status: 'ok',
      data_read_at: '2025-11-23T08:03:19.000Z',
      report_generated_at: '2025-11-23T08:03:19.000Z',
      key_count: 9,
    },
  ],
};
