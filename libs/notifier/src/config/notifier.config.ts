import { registerAs } from '@nestjs/config';
import {
  ArrayNotEmpty,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { ToBool, ToInt, ToList, ToNumber, validateEnv } from '@app/platform';
import type { EmailDriverKind } from '../drivers/email-driver.interface';
import { AWS_PARTITIONS, partitionForRegion, type AwsPartition } from './partition';

/** Cross-field check: this variable must be strictly below another one of the same DTO. */
function IsBelow(other: keyof NotifierEnv, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBelow',
      constraints: [other],
      validator: {
        validate: (value: unknown, args) => {
          const limit = (args?.object as Record<string, unknown>)[other];
          return typeof value !== 'number' || typeof limit !== 'number' || value < limit;
        },
        defaultMessage: (args) =>
          `${args?.property} must be below ${String(other)} (${String((args?.object as Record<string, unknown>)[other])})`,
      },
    },
    options,
  );
}

/** Cross-field check: this variable must be strictly above another one of the same DTO. */
function IsAbove(other: keyof NotifierEnv, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAbove',
      constraints: [other],
      validator: {
        validate: (value: unknown, args) => {
          const limit = (args?.object as Record<string, unknown>)[other];
          return typeof value !== 'number' || typeof limit !== 'number' || value > limit;
        },
        defaultMessage: (args) =>
          `${args?.property} must be above ${String(other)} (${String((args?.object as Record<string, unknown>)[other])})`,
      },
    },
    options,
  );
}

/** With NOTIFIER_FINAL_AGE_DAYS unset, its default must still fall strictly between the warning and the expiry. */
function LeavesRoomForFinal(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'leavesRoomForFinal',
      validator: {
        validate: (value: unknown, args) => {
          const env = args?.object as Partial<NotifierEnv>;
          return (
            env.NOTIFIER_FINAL_AGE_DAYS !== undefined ||
            typeof value !== 'number' ||
            typeof env.NOTIFIER_WARN_AGE_DAYS !== 'number' ||
            value - env.NOTIFIER_WARN_AGE_DAYS >= 2 ||
            value <= env.NOTIFIER_WARN_AGE_DAYS
          );
        },
        defaultMessage: () =>
          'NOTIFIER_FINAL_AGE_DAYS (unset) needs a day strictly between NOTIFIER_WARN_AGE_DAYS and NOTIFIER_EXPIRE_AGE_DAYS: set NOTIFIER_EXPIRE_AGE_DAYS at least 2 above NOTIFIER_WARN_AGE_DAYS',
      },
    },
    options,
  );
}

export class NotifierEnv {
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  @IsBelow('NOTIFIER_EXPIRE_AGE_DAYS')
  NOTIFIER_WARN_AGE_DAYS: number = 15;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  @LeavesRoomForFinal()
  NOTIFIER_EXPIRE_AGE_DAYS: number = 20;

  /** Unset: two days before NOTIFIER_EXPIRE_AGE_DAYS (one day after the warning when that leaves no room). */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  @IsAbove('NOTIFIER_WARN_AGE_DAYS')
  @IsBelow('NOTIFIER_EXPIRE_AGE_DAYS')
  NOTIFIER_FINAL_AGE_DAYS?: number;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(365)
  NOTIFIER_REMIND_EVERY_DAYS: number = 7;

  @ToBool()
  @IsBoolean()
  NOTIFIER_INCLUDE_INACTIVE: boolean = false;

  @IsString()
  @Matches(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, { message: 'NOTIFIER_OWNER_TAG_KEY must be a valid IAM tag key' })
  NOTIFIER_OWNER_TAG_KEY: string = 'email';

  @ToList()
  @ArrayNotEmpty({ message: 'NOTIFIER_FALLBACK_RECIPIENTS must list at least one address (comma separated)' })
  @IsEmail({}, { each: true, message: 'NOTIFIER_FALLBACK_RECIPIENTS must hold only valid email addresses' })
  NOTIFIER_FALLBACK_RECIPIENTS: string[];

  /** A bare address or `Name <address>`; SES accepts both. */
  @IsString()
  @Matches(/^(?:[^<>\r\n]*<[^@\s<>]+@[^@\s<>]+>|[^@\s<>]+@[^@\s<>]+)$/, {
    message: 'NOTIFIER_SENDER must be an email address or "Name <address>"',
  })
  NOTIFIER_SENDER: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  NOTIFIER_ACCOUNT_LABEL?: string;

  @IsOptional()
  @IsString()
  NOTIFIER_DRY_RUN_DIR?: string;

  @IsOptional()
  @IsIn(AWS_PARTITIONS)
  NOTIFIER_PARTITION?: AwsPartition;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(50)
  NOTIFIER_SES_CONCURRENCY: number = 4;

  @ToNumber()
  @IsNumber()
  @Min(0.1)
  @Max(1000)
  NOTIFIER_SES_MAX_PER_SECOND: number = 10;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(10)
  NOTIFIER_SES_MAX_ATTEMPTS: number = 3;

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(20)
  NOTIFIER_SES_THROTTLE_RETRIES: number = 6;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(60_000)
  NOTIFIER_SES_RETRY_BASE_MS: number = 500;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(300_000)
  NOTIFIER_SES_REQUEST_TIMEOUT_MS: number = 10_000;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  NOTIFIER_SES_CONNECTION_TIMEOUT_MS: number = 3_000;

  @IsOptional()
  @IsString()
  AWS_REGION: string = 'us-east-1';

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  AWS_ENDPOINT_URL_SESV2?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  AWS_ENDPOINT_URL?: string;
}

export interface NotifierConfig {
  warnAgeDays: number;
  /** The final warning, strictly between the warning and the expiry. */
  finalAgeDays: number;
  expireAgeDays: number;
  /** After `expired`, a reminder this many days after the ladder's previous email while the key is unresolved. */
  remindEveryDays: number;
  includeInactive: boolean;
  ownerTagKey: string;
  fallbackRecipients: string[];
  sender: string;
  accountLabel?: string;
  driver: EmailDriverKind;
  /** Set only in dry-run mode: where the rendered messages are written. */
  dryRunDir?: string;
  partition: AwsPartition;
  ses: {
    region: string;
    endpoint?: string;
    concurrency: number;
    maxPerSecond: number;
    maxAttempts: number;
    throttleRetries: number;
    retryBaseMs: number;
    requestTimeoutMs: number;
    connectionTimeoutMs: number;
  };
}

export function toNotifierConfig(env: NotifierEnv): NotifierConfig {
  return {
    warnAgeDays: env.NOTIFIER_WARN_AGE_DAYS,
    finalAgeDays:
      env.NOTIFIER_FINAL_AGE_DAYS ?? Math.max(env.NOTIFIER_EXPIRE_AGE_DAYS - 2, env.NOTIFIER_WARN_AGE_DAYS + 1),
    expireAgeDays: env.NOTIFIER_EXPIRE_AGE_DAYS,
    remindEveryDays: env.NOTIFIER_REMIND_EVERY_DAYS,
    includeInactive: env.NOTIFIER_INCLUDE_INACTIVE,
    ownerTagKey: env.NOTIFIER_OWNER_TAG_KEY,
    fallbackRecipients: [...new Set(env.NOTIFIER_FALLBACK_RECIPIENTS)],
    sender: env.NOTIFIER_SENDER,
    accountLabel: env.NOTIFIER_ACCOUNT_LABEL,
    driver: env.NOTIFIER_DRY_RUN_DIR ? 'dry-run' : 'ses',
    dryRunDir: env.NOTIFIER_DRY_RUN_DIR,
    partition: env.NOTIFIER_PARTITION ?? partitionForRegion(env.AWS_REGION),
    ses: {
      region: env.AWS_REGION,
      endpoint: env.AWS_ENDPOINT_URL_SESV2 ?? env.AWS_ENDPOINT_URL,
      concurrency: env.NOTIFIER_SES_CONCURRENCY,
      maxPerSecond: env.NOTIFIER_SES_MAX_PER_SECOND,
      maxAttempts: env.NOTIFIER_SES_MAX_ATTEMPTS,
      throttleRetries: env.NOTIFIER_SES_THROTTLE_RETRIES,
      retryBaseMs: env.NOTIFIER_SES_RETRY_BASE_MS,
      requestTimeoutMs: env.NOTIFIER_SES_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: env.NOTIFIER_SES_CONNECTION_TIMEOUT_MS,
    },
  };
}

export function loadNotifierConfig(env: NodeJS.ProcessEnv | Record<string, unknown>): NotifierConfig {
  return toNotifierConfig(validateEnv(NotifierEnv, env));
}

export const notifierConfig = registerAs('notifier', (): NotifierConfig => loadNotifierConfig(process.env));
