import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Answers carry IAM user names and key ids: no cache (browser or proxy) keeps them, and no browser sniffs a
 * JSON answer into something it would run.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export function securityHeaders(): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      res.setHeader(name, value);
    }
    next();
  };
}
