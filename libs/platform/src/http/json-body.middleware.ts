import { CanActivate, ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { RequestValidationException } from './validation.pipe';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

const BODY_ERROR = Symbol('bodyError');

type BodyRequest = Request & { [BODY_ERROR]?: Error };

/**
 * Parses JSON bodies before Nest's own parser does, so a wrong content type or a malformed body
 * becomes our validation error (naming the header or the body) instead of a parser message. The error
 * is not raised here but kept on the request for {@link RequestBodyGuard}: by then the request has its
 * id, its log line and its metrics, and the bearer token has been checked first.
 */
export function jsonBody(limit = '16kb'): RequestHandler {
  const parse = json({ limit, strict: true });
  return (req: BodyRequest, res: Response, next: NextFunction) => {
    const defer = (err: unknown) => {
      req[BODY_ERROR] = err instanceof Error ? err : new Error(String(err));
      req.body = {};
      if (req.readableEnded) {
        next();
        return;
      }
      // Refused before reading (encoding, charset): drain the body, or Nest's own parser reads it and throws.
      req.once('end', () => next());
      req.once('error', () => next());
      req.resume();
    };
    if (!WITH_BODY.has(req.method)) {
      next();
      return;
    }
    if (!req.is('application/json')) {
      defer(
        new RequestValidationException([
          { field: 'Content-Type', messages: ['Content-Type must be application/json with a JSON object body'] },
        ]),
      );
      return;
    }
    parse(req, res, (err?: unknown) => {
      if (!err) {
        next();
        return;
      }
      const type = (err as { type?: string }).type;
      if (type === 'entity.parse.failed') {
        defer(new RequestValidationException([{ field: 'body', messages: ['body must be valid JSON'] }]));
      } else {
        defer(asClientError(err) ?? err);
      }
    });
  };
}

/** Raises the body error {@link jsonBody} kept on the request; registered as the last global guard. */
@Injectable()
export class RequestBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') {
      const req = context.switchToHttp().getRequest<BodyRequest>();
      if (req[BODY_ERROR] !== undefined) {
        throw req[BODY_ERROR];
      }
    }
    return true;
  }
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
