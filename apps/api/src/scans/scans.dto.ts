import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsIn, IsOptional, Matches } from 'class-validator';
import type { ScanSource } from '@app/iam';
import type { ScanView } from '@app/store';

const SOURCES: readonly ScanSource[] = ['credential-report', 'list-users'];
const ACCOUNT_ID_MESSAGE = 'each account_id must be a 12-digit AWS account id';

export class StartScanDto {
  @ApiPropertyOptional({ enum: SOURCES, description: 'Default SCAN_SOURCE (credential-report)' })
  @IsOptional()
  @IsIn(SOURCES, { message: 'source must be credential-report or list-users' })
  source?: ScanSource;

  @ApiPropertyOptional({
    type: [String],
    example: ['111111111111'],
    description: 'Only these configured accounts (an id outside them is a 400). Default: every account',
  })
  @IsOptional()
  @IsArray({ message: ACCOUNT_ID_MESSAGE })
  @Matches(/^\d{12}$/, { each: true, message: ACCOUNT_ID_MESSAGE })
  account_id?: string[];
}

export class ScanStartedDto {
  @ApiProperty({ example: 42 })
  scan_id: number;

  @ApiProperty({ description: 'true when a scan already running was joined instead of starting another' })
  joined: boolean;

  @ApiProperty({ example: '/v1/scans/42', description: 'Also in the Location header' })
  location: string;
}

export class ScanAccountDto {
  @ApiProperty({ example: '111111111111' })
  account_id: string;

  @ApiProperty({ type: String, nullable: true, example: 'payments-prod' })
  account_name: string | null;

  @ApiProperty({ enum: ['pending', 'complete', 'failed', 'skipped'] })
  status: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Why it failed (the error code), or why it was skipped (e.g. SUSPENDED)',
  })
  error_code: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finished_at: string | null;

  @ApiProperty({ example: 14 })
  keys_seen: number;

  @ApiProperty({ example: 1 })
  keys_added: number;

  @ApiProperty({ example: 0 })
  keys_changed: number;

  @ApiProperty({ example: 1, description: 'Gone since the previous scan (rotated or deleted)' })
  keys_deleted: number;

  @ApiProperty({ example: 2 })
  findings_opened: number;

  @ApiProperty({ example: 1 })
  findings_resolved: number;
}

export class ScanProgressDto {
  @ApiProperty({ example: 3 })
  accounts: number;

  @ApiProperty({ example: 2, description: 'Accounts complete, failed or skipped' })
  done: number;

  @ApiProperty({ example: 1 })
  failed: number;
}

export class ScanViewDto {
  @ApiProperty({ example: 42 })
  id: number;

  @ApiProperty({ enum: SOURCES })
  source: ScanSource;

  @ApiProperty({ enum: ['schedule', 'on-demand', 'job', 'startup'] })
  trigger: string;

  @ApiProperty({ enum: ['running', 'complete', 'partial', 'failed'] })
  status: string;

  @ApiProperty({ example: 'all', description: '`all`, or `index/count` for one shard of a sharded scan' })
  shard: string;

  @ApiProperty({ format: 'date-time' })
  started_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finished_at: string | null;

  @ApiProperty({ type: ScanProgressDto })
  progress: ScanProgressDto;

  @ApiProperty({ type: [ScanAccountDto] })
  accounts: ScanAccountDto[];

  static from(view: ScanView): ScanViewDto {
    const done = view.accounts.filter((a) => a.status !== 'pending').length;
    return {
      id: view.id,
      source: view.source,
      trigger: view.trigger,
      status: view.status,
      shard: view.shard,
      started_at: view.startedAt.toISOString(),
      finished_at: view.finishedAt ? view.finishedAt.toISOString() : null,
      progress: {
        accounts: view.accounts.length,
        done,
        failed: view.accounts.filter((a) => a.status === 'failed').length,
      },
      accounts: view.accounts.map((a) => ({
        account_id: a.accountId,
        account_name: a.accountName,
        status: a.status,
        error_code: a.errorCode,
        finished_at: a.finishedAt ? a.finishedAt.toISOString() : null,
        keys_seen: a.keysSeen,
        keys_added: a.keysAdded,
        keys_changed: a.keysChanged,
        keys_deleted: a.keysDeleted,
        findings_opened: a.findingsOpened,
        findings_resolved: a.findingsResolved,
      })),
    };
  }
}
