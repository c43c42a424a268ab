import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { redactUserinfo, ToInt, validateEnv } from '@app/platform';

export class StoreEnv {
  /** PostgreSQL 14+. Unset: the embedded store under DATA_DIR. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsString()
  @MinLength(1)
  DATA_DIR: string = './data';

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  HISTORY_RETENTION_DAYS: number = 400;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  DATABASE_POOL_MAX: number = 10;

  /** Every statement on PostgreSQL, so a stuck query frees its connection; migrations run without it. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  DATABASE_STATEMENT_TIMEOUT_MS: number = 30_000;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_CONNECT_TIMEOUT_MS: number = 10_000;
}

export type StoreConnection =
  | {
      engine: 'postgres';
      url: string;
      /** The URL without its userinfo, for logs. */
      display: string;
      poolMax: number;
      statementTimeoutMs: number;
      connectTimeoutMs: number;
    }
  | { engine: 'pglite'; dataDir: string; display: string };

export interface StoreConfig {
  connection: StoreConnection;
  historyRetentionDays: number;
}

export function loadStoreConfig(raw: NodeJS.ProcessEnv | Record<string, string | undefined>): StoreConfig {
  const env = validateEnv(StoreEnv, raw);
  const connection: StoreConnection = env.DATABASE_URL
    ? {
        engine: 'postgres',
        url: env.DATABASE_URL,
        display: redactUserinfo(env.DATABASE_URL),
        poolMax: env.DATABASE_POOL_MAX,
        statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
        connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      }
    : { engine: 'pglite', dataDir: env.DATA_DIR, display: `embedded PostgreSQL in ${env.DATA_DIR}` };
  return { connection, historyRetentionDays: env.HISTORY_RETENTION_DAYS };
}

export const storeConfig = registerAs('store', (): StoreConfig => loadStoreConfig(process.env));
