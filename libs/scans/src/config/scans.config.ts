import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { ToInt, validateEnv } from '@app/platform';
import type { ScanSource } from '@app/iam';

const SOURCES: readonly ScanSource[] = ['credential-report', 'list-users'];

export class ScansEnv {
  /** 0 turns the API's scheduler off (the scan CronJob or the sharded Job scans instead). */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(10_080)
  SCAN_INTERVAL_MINUTES: number = 60;

  /** The report costs a few calls per account where ListUsers costs one per user. */
  @IsIn(SOURCES)
  SCAN_SOURCE: ScanSource = 'credential-report';

  /** How long a request asking for fresher data (max_age_seconds) waits for a scan before it is told to retry. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(600)
  SCAN_WAIT_SECONDS: number = 30;

  /** The scheduler's lease; a replica that dies hands scheduling over after this long. */
  @ToInt()
  @IsInt()
  @Min(5)
  @Max(3_600)
  SCAN_LEASE_SECONDS: number = 60;

  /** Sharded scans (the Indexed Job): how many shards, and which one this process is (Kubernetes sets it). */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1_000)
  SCAN_SHARD_COUNT?: number;

  @ValidateIf((env: ScansEnv) => env.SCAN_SHARD_COUNT !== undefined || env.JOB_COMPLETION_INDEX !== undefined)
  @ToInt()
  @IsInt({ message: 'JOB_COMPLETION_INDEX must be set (an integer from 0) when SCAN_SHARD_COUNT is' })
  @Min(0)
  JOB_COMPLETION_INDEX?: number;
}

export interface Shard {
  index: number;
  count: number;
}

export interface ScansConfig {
  intervalMs: number;
  source: ScanSource;
  waitMs: number;
  leaseMs: number;
  shard?: Shard;
}

export function loadScansConfig(raw: NodeJS.ProcessEnv | Record<string, string | undefined>): ScansConfig {
  const env = validateEnv(ScansEnv, raw);
  let shard: Shard | undefined;
  if (env.SCAN_SHARD_COUNT !== undefined || env.JOB_COMPLETION_INDEX !== undefined) {
    const count = env.SCAN_SHARD_COUNT ?? 1;
    const index = env.JOB_COMPLETION_INDEX ?? 0;
    if (index >= count) {
      throw new Error(`JOB_COMPLETION_INDEX ${index} must be below SCAN_SHARD_COUNT ${count}`);
    }
    shard = { index, count };
  }
  return {
    intervalMs: env.SCAN_INTERVAL_MINUTES * 60_000,
    source: env.SCAN_SOURCE,
    waitMs: env.SCAN_WAIT_SECONDS * 1_000,
    leaseMs: env.SCAN_LEASE_SECONDS * 1_000,
    ...(shard && { shard }),
  };
}

export const scansConfig = registerAs('scans', (): ScansConfig => loadScansConfig(process.env));
