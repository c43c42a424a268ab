import { HttpException } from '@nestjs/common';
import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { RequestValidationException } from './validation.pipe';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Parses JSON bodies before Nest's own parser does, so a wrong content type or a malformed body
 * becomes our validation error (naming the header or the body) instead of a parser message.
 */
export function jsonBody(limit = '16kb'): RequestHandler {
  const parse = json({ limit, strict: true });
  return (req: Request, res: Response, next: NextFunction) => {
    if (!WITH_BODY.has(req.method)) {
      next();
      return;
    }
    if (!req.is('application/json')) {
      next(
        new RequestValidationException([
          { field: 'Content-Type', messages: ['Content-Type must be application/json with a JSON object body'] },
        ]),
      );
      return;
    }
    parse(req, res, (err?: unknown) => {
      const type = (err as { type?: string } | undefined)?.type;
      if (type === 'entity.parse.failed') {
        next(new RequestValidationException([{ field: 'body', messages: ['body must be valid JSON'] }]));
      } else {
        next(asClientError(err) ?? err);
      }
    });
  };
}

/**
 * The parser's other refusals (body too large, unsupported encoding or charset) are the client's doing:
 * they keep their 4xx instead of reaching the catch-all as an unexpected 500.
 */
function asClientError(err: unknown): HttpException | undefined {
  const e = err as { status?: unknown; expose?: unknown; message?: unknown } | undefined;
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    return new HttpException({ message: String(e.message) }, e.status);
  }
  return undefined;
}
