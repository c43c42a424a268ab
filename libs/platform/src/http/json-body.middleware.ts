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
        next(err);
      }
    });
  };
}
