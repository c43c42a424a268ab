import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_HOURS, type OldAccessKey, type RootAccessKey, type ScanResult } from '@app/iam';

const HOURS_MESSAGE = `hours must be an integer from 0 to ${MAX_HOURS}`;
const HOURS_REQUIRED = 'hours is required';

/** Query strings are text: only plain digits become a number; `1.5`, `1e3`, `-1`, `` and arrays stay invalid. */
const QueryInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value,
  );

const QueryBool = () =>
  Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));

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
}

export class OldAccessKeyDto {
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

  static from(key: OldAccessKey): OldAccessKeyDto {
    return {
      user_name: key.userName,
      access_key_id: key.accessKeyId,
      created_date: key.createdDate.toISOString(),
      status: key.status,
      age_hours: key.ageHours,
    };
  }
}

export class RootAccessKeyDto {
  @ApiProperty({ example: 1, enum: [1, 2] })
  slot: number;

  @ApiProperty({ example: true })
  active: boolean;

  @ApiProperty({ example: '2019-05-06T07:08:09.000Z', format: 'date-time' })
  last_rotated: string;

  @ApiProperty({ example: 66000.5 })
  age_hours: number;

  static from(key: RootAccessKey): RootAccessKeyDto {
    return { slot: key.slot, active: key.active, last_rotated: key.lastRotated.toISOString(), age_hours: key.ageHours };
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

  @ApiProperty({ format: 'date-time', description: 'When IAM was read (for the report: when AWS generated it)' })
  data_read_at: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'When AWS generated the credential report' })
  report_generated_at?: string;

  static from(result: ScanResult, hours: number, includeInactive: boolean): OldAccessKeysResponseDto {
    return {
      old_access_keys: result.keys.map((k) => OldAccessKeyDto.from(k)),
      root_access_keys: result.rootKeys.map((k) => RootAccessKeyDto.from(k)),
      count: result.keys.length,
      source: result.source,
      hours,
      include_inactive: includeInactive,
      data_read_at: result.dataReadAt.toISOString(),
      ...(result.reportGeneratedAt ? { report_generated_at: result.reportGeneratedAt.toISOString() } : {}),
    };
  }
}

/** What a 200 looks like, shown in the API docs; `count` matches the list as in a real answer. */
export const LIST_USERS_RESPONSE_EXAMPLE: OldAccessKeysResponseDto = {
  old_access_keys: [
    {
      user_name: 'ci.bot@payments',
      access_key_id: 'AKIA3EXAMPLE7Q2XK4TZ',
      created_date: '2021-03-14T09:26:53.000Z',
      status: 'Active',
      age_hours: 41158.6,
    },
    {
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
  data_read_at: '2025-11-23T08:03:18.000Z',
};

export const CREDENTIAL_REPORT_RESPONSE_EXAMPLE: OldAccessKeysResponseDto = {
  ...LIST_USERS_RESPONSE_EXAMPLE,
  root_access_keys: [{ slot: 1, active: true, last_rotated: '2019-05-06T07:08:09.000Z', age_hours: 57432.9 }],
  source: 'credential-report',
  report_generated_at: LIST_USERS_RESPONSE_EXAMPLE.data_read_at,
};
