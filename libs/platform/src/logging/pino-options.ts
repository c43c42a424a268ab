import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { redactRequestUrl, redactUserinfo } from './redact-url';

export interface LoggingOptions {
  level: string;
  pretty: boolean;
  /** Query parameters whose values may be logged (the API's own); every other value is redacted. */
  shownQueryParams?: readonly string[];
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Paths whose successful hits are routine (probes, scrapes): logged at debug, not info. */
const QUIET = /^\/(health|metrics)(\/|$|\?)/;

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.secretAccessKey',
  '*.SecretAccessKey',
  '*.sessionToken',
  '*.SessionToken',
  '*.password',
  '*.token',
  '*.apiTokens',
  '*.API_TOKENS',
  '*.AWS_SECRET_ACCESS_KEY',
  '*.AWS_SESSION_TOKEN',
];

/** A caller's X-Request-Id when it looks like an id; otherwise a new one. */
export function requestIdFor(req: IncomingMessage): string {
  const sent = req.headers['x-request-id'];
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
}

/** A caller's X-Request-Id is reused (and echoed) when it looks like an id; otherwise we mint one. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const id = requestIdFor(req);
  res.setHeader('X-Request-Id', id);
  return id;
}

/** The level of a request's one log line: errors, refusals, routine probes and scrapes, everything else. */
export function requestLogLevel(
  req: IncomingMessage,
  res: ServerResponse,
  err?: unknown,
): 'error' | 'warn' | 'info' | 'debug' {
  if (err || res.statusCode >= 500) {
    return 'error';
  }
  if (res.statusCode >= 400) {
    return 'warn';
  }
  return QUIET.test(req.url ?? '') ? 'debug' : 'info';
}

/** Errors are logged by type, message and code only: stack traces stay out of the logs as well as responses. */
export function serializeError(err: unknown): Record<string, unknown> {
  // pino-http wraps custom serializers: they receive pino's own serialization, which keeps the Error as `raw`.
  const raw = (err as { raw?: unknown } | null | undefined)?.raw;
  if (!(err instanceof Error) && raw instanceof Error) {
    return serializeError(raw);
  }
  if (!(err instanceof Error)) {
    return { message: String(err) };
  }
  const e = err as Error & { code?: unknown; $metadata?: { httpStatusCode?: number; requestId?: string } };
  return {
    type: e.name,
    message: redactUserinfo(e.message),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(e.$metadata?.requestId ? { awsRequestId: e.$metadata.requestId } : {}),
    ...(e.cause instanceof Error ? { cause: { type: e.cause.name, message: redactUserinfo(e.cause.message) } } : {}),
  };
}

export function pinoParams(options: LoggingOptions): Params {
  const shown = new Set(options.shownQueryParams ?? []);
  return {
    pinoHttp: {
      level: options.level,
      // On the root logger, not pino-http's customProps: those make two more child loggers for every request.
      base: { pid: process.pid, hostname: hostname(), service: 'iam-key-monitor' },
      genReqId: requestId,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      customLogLevel: requestLogLevel,
      serializers: {
        err: serializeError,
        // Also given a bare `{ id }` by lines logged outside Express (requests Node's parser refused).
        req: (req: { id: string; method?: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          url: typeof req.url === 'string' ? redactRequestUrl(req.url, shown) : undefined,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      ...(options.pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
    },
  };
}
