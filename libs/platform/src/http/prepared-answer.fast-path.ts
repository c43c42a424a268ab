import type { Request } from 'express';

/**
 * A request's identity for the warm fast path (see rawFastPath and PreparedAnswerCache.remember): its method, URL
 * and JSON body, exactly as sent. The raw fast path builds the same string from the raw request (`GET <url>`,
 * or `POST <url> <the body parsed and serialized again>`), so the two must stay in step.
 */
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
