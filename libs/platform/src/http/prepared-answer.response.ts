import type { IncomingMessage, ServerResponse } from 'node:http';
import { ifNoneMatchHits } from './entity-tag';
import type { PreparedAnswer } from './prepared-answer.cache';

/**
 * Writes a prepared answer: 200 with its bytes and ETag, or 304 with the ETag and no body when If-None-Match
 * names the tag (weakly) or is `*`. Every header set before (security headers, X-Request-Id, rate limit) stays.
 * A read answered through a POST (a query too large for a URL) is answered the same way: it is safe and
 * idempotent, so a poller sending If-None-Match gets 304 there too.
 */
export function sendPreparedAnswer(req: IncomingMessage, res: ServerResponse, answer: PreparedAnswer): void {
  res.setHeader('ETag', answer.etag);
  if (ifNoneMatchHits(req.headers['if-none-match'], answer.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', answer.body.length);
  res.end(answer.body);
}
