import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsString, Max, Min } from 'class-validator';
import { ToInt, validateEnv } from '@app/platform';

export class ApiEnv {
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 3000;

  @IsString()
  HOST: string = '0.0.0.0';

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'production';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_GRACE_MS: number = 25_000;
}

export interface ApiConfig {
  port: number;
  host: string;
  env: 'development' | 'production' | 'test';
  logLevel: string;
  shutdownGraceMs: number;
}

export const apiConfig = registerAs('api', (): ApiConfig => {
  const env = validateEnv(ApiEnv, process.env);
  return {
    port: env.PORT,
    host: env.HOST,
    env: env.NODE_ENV as ApiConfig['env'],
    logLevel: env.LOG_LEVEL,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
  };
});
