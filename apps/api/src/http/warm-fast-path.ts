import type { IncomingMessage, Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import {
  DEFAULT_IPV6_SUBNET_PREFIX,
  getOptionsToken,
  getStorageToken,
  normalizeIp,
  type ThrottlerModuleOptions,
} from '@nestjs/throttler';
import express, { type Express } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { IAM_CLOCK, type Clock } from '@app/iam';
import { MetricsService } from '@app/observability';
import {
  BearerTokenGuard,
  installRawFastPath,
  rawFastPath,
  requestIdFor,
  requestLogLevel,
  SECURITY_HEADERS,
  ShutdownState,
  SlidingWindowThrottlerStorage,
  type RawFastPathRateLimit,
} from '@app/platform';
import type { ApiConfig } from '../config/api.config';
import { PreparedAnswers } from './prepared-answers';

/** The one throttler configured in AppModule, and the key its guard counts a client under. */
const THROTTLER = 'default';
const rateLimitKey = (ip: string | undefined) => `${THROTTLER}:${normalizeIp(ip ?? '', DEFAULT_IPV6_SUBNET_PREFIX)}`;

type Get = <T>(token: string | symbol | (abstract new (...args: never[]) => T)) => T | undefined;

/** The client's address as Express's `req.ip` gives it under the app's `trust proxy` setting. */
function clientIpOf(app: Express, trustProxy: ApiConfig['trustProxy']): (req: IncomingMessage) => string | undefined {
  if (trustProxy === false) {
    return (req) => req.socket.remoteAddress;
  }
  // Express's own getter (proxy-addr with the compiled `trust proxy fn`), read on the raw request's fields.
  const request: object = express.request;
  return (req) =>
    Reflect.get(request, 'ip', { app, headers: req.headers, socket: req.socket, connection: req.socket }) as
      string | undefined;
}

/**
 * Puts the warm read routes' fast path on the `node:http` server, in front of Express (see rawFastPath): the same
 * checks with the same objects (BearerTokenGuard, the throttler's storage, limit, window and client key under
 * TRUST_PROXY, the security headers, the request id rule, pino's request logger and its level, the HTTP metrics),
 * read from the app, so nothing is configured twice. Left out (everything goes through the full pipeline) when any
 * of them is missing, as in slim test modules; stepped aside while the server drains (graceful shutdown's
 * Connection: close is set on the response after the request event, too late for an answer written within it).
 */
export function installWarmFastPath(app: INestApplication, config: ApiConfig, get: Get): void {
  const answers = get(PreparedAnswers);
  const guard = get(BearerTokenGuard);
  const clock = get<Clock>(IAM_CLOCK);
  const metrics = get(MetricsService);
  const shutdown = get(ShutdownState);
  if (!answers || !guard || !clock || !metrics || !shutdown) {
    return;
  }
  const clientIp = clientIpOf(app.getHttpAdapter().getInstance() as Express, config.trustProxy);
  let rateLimit: RawFastPathRateLimit | undefined;
  if (config.rateLimitPerMinute > 0) {
    const storage = get(getStorageToken());
    const options = get<ThrottlerModuleOptions>(getOptionsToken());
    const throttlers = options === undefined || Array.isArray(options) ? options : options.throttlers;
    if (!(storage instanceof SlidingWindowThrottlerStorage) || throttlers?.length !== 1) {
      return;
    }
    const { limit, ttl } = throttlers[0];
    if (typeof limit !== 'number' || typeof ttl !== 'number') {
      return;
    }
    const limitText = String(limit);
    rateLimit = {
      wouldRefuse: (req) => storage.wouldBlock(rateLimitKey(clientIp(req)), limit, THROTTLER),
      count: (req, head) => {
        const hit = storage.hit(rateLimitKey(clientIp(req)), ttl, limit, ttl, THROTTLER);
        head.push(
          'X-RateLimit-Limit',
          limitText,
          'X-RateLimit-Remaining',
          String(Math.max(0, limit - hit.totalHits)),
          'X-RateLimit-Reset',
          String(hit.timeToExpire),
        );
      },
    };
  }
  installRawFastPath(
    app.getHttpServer() as Server,
    rawFastPath({
      answers: answers.cache,
      nowMs: () => clock.now().getTime(),
      authorized: (authorization) => guard.accepts(authorization),
      rateLimit: rateLimit,
      commonHeaders: SECURITY_HEADERS,
      requestId: requestIdFor,
      open: () => !shutdown.draining,
      served: (req, res, route, id, startedAt) => {
        const elapsedNs = process.hrtime.bigint() - startedAt;
        metrics.observeHttp(route, req.method ?? 'UNKNOWN', res.statusCode, Number(elapsedNs) / 1e9);
        // Set by nestjs-pino when the app initializes, after this is installed.
        const logger = PinoLogger.root as PinoLogger['logger'] | undefined;
        const level = requestLogLevel(req, res);
        if (logger?.isLevelEnabled(level)) {
          // The line pino-http writes for any request: the same logger, serializers, redaction and fields.
          req.id = id;
          logger[level]({ req, res, responseTime: Math.round(Number(elapsedNs) / 1e6) }, 'request completed');
        }
      },
    }),
  );
}
