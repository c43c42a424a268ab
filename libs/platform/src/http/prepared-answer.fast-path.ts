import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { BODY_ERROR_KEY } from './json-body.middleware';
import type { PreparedAnswerCache } from './prepared-answer.cache';
import { sendPreparedAnswer } from './prepared-answer.response';

/** The API's rate limit as the fast path applies it: same storage, key, limit and window as the guard's. */
export interface FastPathRateLimit {
  /** Whether this request would be refused now; nothing is counted. */
  wouldRefuse(req: Request): boolean;
  /** Counts the request and sets the X-RateLimit-* headers the guard sets on a 200. */
  count(req: Request, res: Response): void;
}

export interface FastPathOptions {
  answers: PreparedAnswerCache;
  /** The clock the answers' freshness is stated on. */
  nowMs: () => number;
  /** The bearer-token check, with nothing charged (refusals are left to the guard). */
  authorized: (req: Request) => boolean;
  /** Undefined when the rate limit is off. */
  rateLimit?: FastPathRateLimit;
  /** Sets the request id (and its X-Request-Id header) as the request logger would. */
  requestId: (req: Request, res: Response) => void;
  /** Called once the answer is sent: the request's log line and metrics, as for any request. */
  served: (req: Request, res: Response, route: string, startedAt: bigint) => void;
  /** The methods served here (default GET and POST; GET goes to rawFastPath when that is installed). */
  methods?: readonly ('GET' | 'POST')[];
  /** False while nothing may skip the pipeline (e.g. the server drains and its answers must close connections). */
  open?: () => boolean;
}

/** A request's identity for the fast path: its method, URL and body, exactly as sent. */
export function requestSignature(req: Request): string | undefined {
  switch (req.method) {
    case 'GET':
      return `GET ${req.originalUrl}`;
    case 'POST':
      return typeof req.body === 'object' && req.body !== null
        ? `POST ${req.originalUrl} ${JSON.stringify(req.body)}`
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Serves a warm answer before the framework's router, guards and pipes: only a request identical to one that
 * already went through all of them (same method, URL and body, so the same validated parameters), whose answer
 * is still fresh, from a caller whose token passes and whose rate limit is not spent. The request is counted
 * against the rate limit, gets the security headers (set before this runs), a request id, its log line and its
 * metrics like any other. Anything else (a new question, a stale answer, a missing or wrong token, a spent
 * limit, a refused body) goes on to the full pipeline, which answers it and charges it as before.
 */
export function preparedAnswerFastPath(options: FastPathOptions): RequestHandler {
  const methods = new Set<string>(options.methods ?? ['GET', 'POST']);
  return (req: Request, res: Response, next: NextFunction) => {
    const startedAt = process.hrtime.bigint();
    if (
      !methods.has(req.method) ||
      (req as Request & Record<symbol, unknown>)[BODY_ERROR_KEY] !== undefined ||
      (options.open !== undefined && !options.open())
    ) {
      next();
      return;
    }
    const signature = requestSignature(req);
    const warm = signature === undefined ? undefined : options.answers.warm(signature, options.nowMs());
    if (!warm || !options.authorized(req) || options.rateLimit?.wouldRefuse(req)) {
      next();
      return;
    }
    options.rateLimit?.count(req, res);
    options.requestId(req, res);
    res.once('finish', () => options.served(req, res, warm.route, startedAt));
    sendPreparedAnswer(req, res, warm.answer);
  };
}
