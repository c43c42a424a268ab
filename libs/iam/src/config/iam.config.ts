import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { ToInt, validateEnv } from '@app/platform';

export class IamEnv {
  @IsOptional()
  @IsString()
  AWS_REGION: string = 'us-east-1';

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  AWS_ENDPOINT_URL_IAM?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  AWS_ENDPOINT_URL?: string;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(10)
  IAM_MAX_ATTEMPTS: number = 3;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(300_000)
  IAM_REQUEST_TIMEOUT_MS: number = 10_000;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  IAM_CONNECTION_TIMEOUT_MS: number = 3_000;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  IAM_MAX_SOCKETS: number = 50;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  IAM_CONCURRENCY: number = 5;

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  IAM_THROTTLE_MAX_WAIT_MS: number = 120_000;

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  REPORT_MAX_WAIT_MS: number = 60_000;

  @ToInt()
  @IsInt()
  @Min(10)
  @Max(60_000)
  REPORT_POLL_INTERVAL_MS: number = 1_000;

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(86_400)
  SCAN_CACHE_TTL_SECONDS: number = 60;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  SCAN_MAX_DURATION_MS: number = 300_000;
}

export interface IamConfig {
  region: string;
  /** Only set when an override exists; the SDK then talks to it instead of AWS. */
  endpoint?: string;
  maxAttempts: number;
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  maxSockets: number;
  concurrency: number;
  throttleMaxWaitMs: number;
  reportMaxWaitMs: number;
  reportPollIntervalMs: number;
  /** 0 turns sharing into exact per-request scans (only identical in-flight requests share). */
  scanCacheTtlMs: number;
  /** A scan still running after this is aborted and its waiters answered 504 IAM_TIMEOUT. */
  scanMaxDurationMs: number;
}

export function toIamConfig(env: IamEnv): IamConfig {
  return {
    region: env.AWS_REGION,
    endpoint: env.AWS_ENDPOINT_URL_IAM ?? env.AWS_ENDPOINT_URL,
    maxAttempts: env.IAM_MAX_ATTEMPTS,
    requestTimeoutMs: env.IAM_REQUEST_TIMEOUT_MS,
    connectionTimeoutMs: env.IAM_CONNECTION_TIMEOUT_MS,
    maxSockets: env.IAM_MAX_SOCKETS,
    concurrency: env.IAM_CONCURRENCY,
    throttleMaxWaitMs: env.IAM_THROTTLE_MAX_WAIT_MS,
    reportMaxWaitMs: env.REPORT_MAX_WAIT_MS,
    reportPollIntervalMs: env.REPORT_POLL_INTERVAL_MS,
    scanCacheTtlMs: env.SCAN_CACHE_TTL_SECONDS * 1000,
    scanMaxDurationMs: env.SCAN_MAX_DURATION_MS,
  };
}

export const iamConfig = registerAs('iam', (): IamConfig => toIamConfig(validateEnv(IamEnv, process.env)));
