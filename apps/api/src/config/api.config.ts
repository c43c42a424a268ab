import { isIP } from 'node:net';
import { registerAs } from '@nestjs/config';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';
import { EnvValidationError, type HttpServerLimits, ToBool, ToInt, ToList, validateEnv } from '@app/platform';

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

  /** Comma-separated bearer tokens; required unless ALLOW_UNAUTHENTICATED=true (checked in apiConfig). */
  @IsOptional()
  @ToList()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MinLength(16, { each: true, message: 'each of API_TOKENS must be at least 16 characters' })
  @Matches(/^[\x21-\x7e]+$/, { each: true, message: 'API_TOKENS must be printable ASCII without spaces' })
  API_TOKENS?: string[];

  /** Runs /v1 without bearer tokens when API_TOKENS is unset: an explicit choice (the demo), never a default. */
  @ToBool()
  @IsBoolean({ message: 'ALLOW_UNAUTHENTICATED must be true or false' })
  ALLOW_UNAUTHENTICATED: boolean = false;

  /** Failed authentications per minute per client before it is locked out; 0 turns the lockout off. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(10_000)
  AUTH_FAILURES_PER_MINUTE: number = 10;

  /** How long a client that spent its failed-authentication budget gets 429 for requests without a valid token. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(86_400)
  AUTH_LOCKOUT_SECONDS: number = 900;

  /** Port of the Prometheus /metrics listener, apart from PORT so the NetworkPolicy can admit only the scraper. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT: number = 9464;

  /** Requests per minute per client on the /v1 routes; 0 turns the limit off. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE: number = 120;

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(300)
  READINESS_CACHE_SECONDS: number = 10;

  /** The longest /health/ready waits for IAM; keep it below the readiness probe's timeoutSeconds. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  READINESS_TIMEOUT_MS: number = 3_000;

  /** /health/live fails once the event loop stalled longer than this within the last 10 s. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  LIVENESS_MAX_EVENT_LOOP_LAG_MS: number = 5_000;

  /**
   * Which proxies' X-Forwarded-For to believe, so the per-client rate limit and the logs see the real client:
   * `false` (none), a hop count (`1` behind one ingress), or addresses/subnets (`10.0.0.0/8, loopback`).
   */
  @IsTrustProxy()
  TRUST_PROXY: string = 'false';

  /** Time for a request's headers to arrive (and for a new connection to say anything). */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(120_000)
  HTTP_HEADERS_TIMEOUT_MS: number = 10_000;

  /** Time for a whole request, headers and body, to arrive; the answer is not bounded by it. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  HTTP_REQUEST_TIMEOUT_MS: number = 30_000;

  /** Idle time of a keep-alive connection; above the 60 s idle timeout of ingress-nginx and AWS load balancers. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number = 65_000;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  HTTP_MAX_CONNECTIONS: number = 1_000;

  @ToInt()
  @IsInt()
  @Min(10)
  @Max(2_000)
  HTTP_MAX_HEADERS_COUNT: number = 100;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One entry Express's proxy-addr accepts: a preset name, an address, or a subnet by prefix length or netmask. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry) || isIP(entry) !== 0) {
    return true;
  }
  const [address, range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || range === undefined || rest.length > 0) {
    return false;
  }
  if (/^\d{1,3}$/.test(range)) {
    return Number(range) <= (family === 4 ? 32 : 128);
  }
  return family === 4 && isIP(range) === 4;
}

/** Checked here rather than by Express at listen time, so a bad value stops boot naming the variable. */
function IsTrustProxy(): PropertyDecorator {
  return ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' &&
        (value === 'false' || /^\d{1,2}$/.test(value) || value.split(',').every((entry) => isProxyEntry(entry.trim()))),
      defaultMessage: () =>
        'TRUST_PROXY must be false, a hop count, or a comma-separated list of addresses, subnets (10.0.0.0/8) or loopback, linklocal, uniquelocal',
    },
  });
}

export interface ApiConfig {
  port: number;
  host: string;
  env: 'development' | 'production' | 'test';
  logLevel: string;
  shutdownGraceMs: number;
  apiTokens: string[];
  allowUnauthenticated: boolean;
  authFailuresPerMinute: number;
  authLockoutMs: number;
  /** 0 picks a free port (tests). */
  metricsPort: number;
  rateLimitPerMinute: number;
  readinessCacheMs: number;
  readinessTimeoutMs: number;
  livenessMaxEventLoopLagMs: number;
  /** Express's `trust proxy` setting. */
  trustProxy: boolean | number | string;
  http: HttpServerLimits;
}

export const apiConfig = registerAs('api', (): ApiConfig => {
  const env = validateEnv(ApiEnv, process.env);
  const problems: string[] = [];
  // Fail closed: a deleted Secret must stop the API, not start it open.
  if ((env.API_TOKENS ?? []).length === 0 && !env.ALLOW_UNAUTHENTICATED) {
    problems.push(
      'API_TOKENS (unset): required; set the bearer tokens /v1 accepts, or ALLOW_UNAUTHENTICATED=true to run /v1 open on purpose',
    );
  }
  if (env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
    problems.push(`METRICS_PORT (${env.METRICS_PORT}): must differ from PORT`);
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS (${env.HTTP_HEADERS_TIMEOUT_MS}): must not exceed HTTP_REQUEST_TIMEOUT_MS (${env.HTTP_REQUEST_TIMEOUT_MS})`,
    );
  }
  if (problems.length > 0) {
    throw new EnvValidationError(problems);
  }
  return {
    port: env.PORT,
    host: env.HOST,
    env: env.NODE_ENV as ApiConfig['env'],
    logLevel: env.LOG_LEVEL,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    apiTokens: env.API_TOKENS ?? [],
    allowUnauthenticated: env.ALLOW_UNAUTHENTICATED,
    authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
    authLockoutMs: env.AUTH_LOCKOUT_SECONDS * 1000,
    metricsPort: env.METRICS_PORT,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    readinessCacheMs: env.READINESS_CACHE_SECONDS * 1000,
    readinessTimeoutMs: env.READINESS_TIMEOUT_MS,
    livenessMaxEventLoopLagMs: env.LIVENESS_MAX_EVENT_LOOP_LAG_MS,
    trustProxy:
      env.TRUST_PROXY === 'false' ? false : /^\d+$/.test(env.TRUST_PROXY) ? Number(env.TRUST_PROXY) : env.TRUST_PROXY,
    http: {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
      maxHeadersCount: env.HTTP_MAX_HEADERS_COUNT,
    },
  };
});
