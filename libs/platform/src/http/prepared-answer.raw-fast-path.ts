import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ifNoneMatchHits } from './entity-tag';
import { readJsonBody } from './json-body.middleware';
import type { PreparedAnswer, PreparedAnswerCache } from './prepared-answer.cache';

type WarmAnswer = NonNullable<ReturnType<PreparedAnswerCache['warm']>>;

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

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Answers a request from a prepared answer, or hands it to `toApp` (the app's listeners) untouched. */
export type RawFastPath = (req: IncomingMessage, res: ServerResponse, toApp: RequestListener) => void;

/** An answer's header fields before the per-request ones, as [name, value, ...] for writeHead. */
interface AnswerHeads {
  ok: readonly string[];
  notModified: readonly string[];
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The warm read routes' fast path on the `node:http` server itself, ahead of Express: a request identical to one
 * that already went through every guard and pipe (same method and URL, and for a POST the same JSON body; see
 * PreparedAnswerCache.remember), whose answer is still fresh, from a caller whose token passes and whose rate
 * limit is not spent, is answered from the prepared bytes with header fields computed once per answer; no Express
 * request or response is built. It is counted against the rate limit, gets the app's common headers, a request
 * id, an ETag and 304 on If-None-Match, its log line and its metrics like any other. HEAD gets the GET's answer
 * without its body, as the app's router gives it. Anything else (a new question, a stale answer, a missing or
 * wrong token, a spent limit, a GET announcing a body, an Expect, another method) goes to the app untouched, to
 * be answered and charged as before. A POST's body is read here only once its token and limit passed, by the
 * app's own reader (readJsonBody: same limits and refusals); when it is not a warm one, the app gets the request
 * with that outcome kept on it, and its body parser uses it instead of reading again.
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
  const passes = (req: IncomingMessage) =>
    (open === undefined || open()) && authorized(req.headers.authorization) && rateLimit?.wouldRefuse(req) !== true;

  const answer = (req: IncomingMessage, res: ServerResponse, warm: WarmAnswer, startedAt: bigint): void => {
    const prepared = warm.answer;
    const notModified = ifNoneMatchHits(req.headers['if-none-match'], prepared.etag);
    const own = headsOf(prepared);
    const head = (notModified ? own.notModified : own.ok).slice();
    const id = requestId(req);
    head.push('X-Request-Id', id);
    rateLimit?.count(req, head);
    if (notModified) {
      res.writeHead(304, head);
      res.end();
    } else {
      res.writeHead(200, head);
      res.end(prepared.body);
    }
    served(req, res, warm.route, id, startedAt);
  };

  return (req, res, toApp) => {
    const method = req.method;
    const fields = req.headers;
    if (fields.expect !== undefined) {
      toApp(req, res);
      return;
    }
    if (method === 'POST') {
      const startedAt = process.hrtime.bigint();
      const reading =
        passes(req) &&
        readJsonBody(req, (read) => {
          const warm =
            read.body === undefined ? undefined : answers.warm(`POST ${req.url} ${JSON.stringify(read.body)}`, nowMs());
          if (warm !== undefined && passes(req)) {
            answer(req, res, warm, startedAt);
          } else {
            toApp(req, res);
          }
        });
      if (!reading) {
        toApp(req, res);
      }
      return;
    }
    // The app's body parser refuses a body on GET and HEAD.
    const length = fields['content-length'];
    if (
      (method !== 'GET' && method !== 'HEAD') ||
      fields['transfer-encoding'] !== undefined ||
      (length !== undefined && Number(length) !== 0)
    ) {
      toApp(req, res);
      return;
    }
    const startedAt = process.hrtime.bigint();
    const warm = answers.warm(`GET ${req.url}`, nowMs());
    if (warm === undefined || !passes(req)) {
      toApp(req, res);
      return;
    }
    answer(req, res, warm, startedAt);
  };
}

/**
 * Puts `fastPath` in front of the server's request listeners (the app's): what it answers never reaches them,
 * everything else reaches them untouched. Listeners added afterwards (e.g. graceful shutdown's) run as before.
 */
export function installRawFastPath(server: Server, fastPath: RawFastPath): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  const toApp: RequestListener =
    listeners.length === 1
      ? (req, res) => listeners[0].call(server, req, res)
      : (req, res) => {
          for (const listener of listeners) {
            listener.call(server, req, res);
          }
        };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => fastPath(req, res, toApp));
}
