import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ifNoneMatchHits } from './entity-tag';
import type { PreparedAnswer, PreparedAnswerCache } from './prepared-answer.cache';

/** The API's rate limit as the raw fast path applies it: same storage, key, limit and window as the guard's. */
export interface RawFastPathRateLimit {
  /** Whether this request would be refused now; nothing is counted. */
  wouldRefuse(req: IncomingMessage): boolean;
  /** Counts the request and appends the X-RateLimit-* names and values the guard sets on a 200 to `head`. */
  count(req: IncomingMessage, head: string[]): void;
}

export interface RawFastPathOptions {
  answers: PreparedAnswerCache;
  /** The clock the answers' freshness is stated on. */
  nowMs: () => number;
  /** The bearer-token check on the Authorization field, with nothing charged (refusals are left to the guard). */
  authorized: (authorization: string | undefined) => boolean;
  /** Undefined when the rate limit is off. */
  rateLimit?: RawFastPathRateLimit;
  /** The fields the app puts on every answer (its security headers), read once. */
  commonHeaders: Readonly<Record<string, string>>;
  /** The request id, as the request logger would choose it (sent back as X-Request-Id). */
  requestId: (req: IncomingMessage) => string;
  /** False while nothing may skip the app (e.g. the server drains and its answers must close connections). */
  open?: () => boolean;
  /** Called once the answer is written: the request's log line and metrics, as for any request. */
  served: (req: IncomingMessage, res: ServerResponse, route: string, id: string, startedAt: bigint) => void;
}

/** A request handler that answered (true) or left the request untouched for the app (false). */
export type RawFastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/** An answer's header fields before the per-request ones, as [name, value, ...] for writeHead. */
interface AnswerHeads {
  ok: readonly string[];
  notModified: readonly string[];
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The warm read routes' fast path on the `node:http` server itself, ahead of Express: a GET (or HEAD) identical
 * to one that already went through every guard and pipe (same URL, see PreparedAnswerCache.remember), whose
 * answer is still fresh, from a caller whose token passes and whose rate limit is not spent, is answered from the
 * prepared bytes with header fields computed once per answer; no Express request or response is built. It is
 * counted against the rate limit, gets the app's common headers, a request id, an ETag and 304 on If-None-Match,
 * its log line and its metrics like any other. Anything else (a new question, a stale answer, a missing or wrong
 * token, a spent limit, a request announcing a body or an Expect, another method) returns false untouched, for
 * the app to answer and charge as before. POST reads stay on the app's fast path (their body is read there).
 */
export function rawFastPath(options: RawFastPathOptions): RawFastPath {
  const common = Object.entries(options.commonHeaders).flat();
  const heads = new WeakMap<PreparedAnswer, AnswerHeads>();
  const headsOf = (answer: PreparedAnswer): AnswerHeads => {
    let held = heads.get(answer);
    if (held === undefined) {
      held = {
        ok: [...common, 'ETag', answer.etag, 'Content-Type', JSON_TYPE, 'Content-Length', String(answer.body.length)],
        notModified: [...common, 'ETag', answer.etag],
      };
      heads.set(answer, held);
    }
    return held;
  };
  const { answers, nowMs, authorized, rateLimit, requestId, open, served } = options;

  return (req, res) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      return false;
    }
    const fields = req.headers;
    // The app's body parser refuses a body on GET; Expect is answered by the app too.
    const length = fields['content-length'];
    if (
      fields['transfer-encoding'] !== undefined ||
      (length !== undefined && Number(length) !== 0) ||
      fields.expect !== undefined
    ) {
      return false;
    }
    if (open !== undefined && !open()) {
      return false;
    }
    const startedAt = process.hrtime.bigint();
    // HEAD is the GET's answer without its body (Node leaves the body out), as the app's router does.
    const warm = answers.warm(`GET ${req.url}`, nowMs());
    if (warm === undefined || !authorized(fields.authorization) || rateLimit?.wouldRefuse(req) === true) {
      return false;
    }
    const answer = warm.answer;
    const notModified = ifNoneMatchHits(fields['if-none-match'], answer.etag);
    const own = headsOf(answer);
    const head = (notModified ? own.notModified : own.ok).slice();
    const id = requestId(req);
    head.push('X-Request-Id', id);
    rateLimit?.count(req, head);
    if (notModified) {
      res.writeHead(304, head);
      res.end();
    } else {
      res.writeHead(200, head);
      res.end(answer.body);
    }
    served(req, res, warm.route, id, startedAt);
    return true;
  };
}

type RequestListener = (this: Server, req: IncomingMessage, res: ServerResponse) => void;

/**
 * Puts `fastPath` in front of the server's request listeners (the app's): what it answers never reaches them,
 * everything else reaches them untouched. Listeners added afterwards (e.g. graceful shutdown's) run as before.
 */
export function installRawFastPath(server: Server, fastPath: RawFastPath): void {
  const app = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', function (this: Server, req: IncomingMessage, res: ServerResponse) {
    if (fastPath(req, res)) {
      return;
    }
    for (const listener of app) {
      listener.call(this, req, res);
    }
  });
}
