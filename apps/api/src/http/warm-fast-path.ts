import type { INestApplication } from '@nestjs/common';
import {
  DEFAULT_IPV6_SUBNET_PREFIX,
  getOptionsToken,
  getStorageToken,
  normalizeIp,
  type ThrottlerModuleOptions,
} from '@nestjs/throttler';
import type { Request } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { IAM_CLOCK, type Clock } from '@app/iam';
import { MetricsService } from '@app/observability';
import {
  BearerTokenGuard,
  preparedAnswerFastPath,
  requestId,
  requestLogLevel,
  SlidingWindowThrottlerStorage,
  type FastPathRateLimit,
} from '@app/platform';
import type { ApiConfig } from '../config/api.config';
import { PreparedAnswers } from './prepared-answers';

/** The one throttler configured in AppModule, and the key its guard counts a client under. */
const THROTTLER = 'default';
const rateLimitKey = (req: Request) => `${THROTTLER}:${normalizeIp(req.ip ?? '', DEFAULT_IPV6_SUBNET_PREFIX)}`;

type Get = <T>(token: string | symbol | (abstract new (...args: never[]) => T)) => T | undefined;

/**
 * Puts the warm read routes' fast path in front of the router (see preparedAnswerFastPath): the same checks
 * with the same objects (BearerTokenGuard, the throttler's storage, limit and window, pino's request logger and
 * its level, the HTTP metrics), read from the app, so nothing is configured twice. Left out (everything goes
 * through the full pipeline) when any of them is missing, as in slim test modules.
 */
export function installWarmFastPath(app: INestApplication, config: ApiConfig, get: Get): void {
  const answers = get(PreparedAnswers);
  const guard = get(BearerTokenGuard);
  const clock = get<Clock>(IAM_CLOCK);
  const metrics = get(MetricsService);
  if (!answers || !guard || !clock || !metrics) {
    return;
  }
  let rateLimit: FastPathRateLimit | undefined;
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
    rateLimit = {
      wouldRefuse: (req) => storage.wouldBlock(rateLimitKey(req), limit, THROTTLER),
      count: (req, res) => {
        const hit = storage.hit(rateLimitKey(req), ttl, limit, ttl, THROTTLER);
        res.setHeader('X-RateLimit-Limit', String(limit));
        res.setHeader('X-RateLimit-Remaining', String(Math.max(0, limit - hit.totalHits)));
        res.setHeader('X-RateLimit-Reset', String(hit.timeToExpire));
      },
    };
  }
  app.use(
    preparedAnswerFastPath({
      answers: answers.cache,
      nowMs: () => clock.now().getTime(),
      authorized: (req) => guard.accepts(req.headers.authorization),
      rateLimit,
      requestId: (req, res) => {
        (req as Request & { id?: string }).id = requestId(req, res);
      },
      served: (req, res, route, startedAt) => {
        const elapsedNs = process.hrtime.bigint() - startedAt;
        metrics.observeHttp(route, req.method, res.statusCode, Number(elapsedNs) / 1e9);
        const level = requestLogLevel(req, res);
        // Set by nestjs-pino when the app initializes, after this is installed.
        const logger = PinoLogger.root as PinoLogger['logger'] | undefined;
        if (logger?.isLevelEnabled(level)) {
          // The line pino-http writes for any request: the same logger, serializers, redaction and fields.
          logger[level]({ req, res, responseTime: Math.round(Number(elapsedNs) / 1e6) }, 'request completed');
        }
      },
    }),
  );
}
