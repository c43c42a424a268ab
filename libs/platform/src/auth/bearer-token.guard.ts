import { createHash, timingSafeEqual } from 'node:crypto';
import {
  CanActivate,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { AuthFailureLimiter } from './auth-failure-limiter';
import { IS_PUBLIC } from './public.decorator';

const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class MissingTokenException extends UnauthorizedException {
  constructor(message: string) {
    super({ code: 'UNAUTHORIZED', message });
  }
}

export class AuthLockoutException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      {
        code: 'TOO_MANY_FAILED_AUTHENTICATIONS',
        message: 'Too many failed authentications from this client; retry after the Retry-After delay',
        retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Bearer tokens compared in constant time: both sides are hashed to equal length, and every configured
 * token is compared, so neither the position of a match nor a token's length leaks through timing.
 *
 * Failed attempts are charged to the client's failed-authentication budget (when a limiter is given). A valid
 * token is never charged and always passes, even from a locked-out address: clients behind one ingress share
 * an address, and a stranger's wrong guesses must not lock them out.
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly digests: Buffer[];
  private readonly logger = new Logger('Auth');

  constructor(
    tokens: string[],
    private readonly reflector: Reflector,
    private readonly failures?: AuthFailureLimiter,
  ) {
    this.digests = tokens.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.enabled || context.getType() !== 'http') {
      return true;
    }
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) {
      return true;
    }
    const req = context.switchToHttp().getRequest<Request>();
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (match && this.isValid(match[1])) {
      return true;
    }
    this.chargeFailure(context, req);
    throw new MissingTokenException(match ? 'The bearer token is not valid' : 'Send Authorization: Bearer <token>');
  }

  /**
   * Whether this Authorization header passes, with nothing charged: a valid token, or no tokens configured.
   * For a caller that lets {@link canActivate} answer (and charge) every other case.
   */
  accepts(authorization: string | undefined): boolean {
    if (!this.enabled) {
      return true;
    }
    const match = BEARER.exec(authorization ?? '');
    return match !== null && this.isValid(match[1]);
  }

  private isValid(token: string): boolean {
    const presented = digest(token);
    let ok = false;
    for (const d of this.digests) {
      ok = timingSafeEqual(d, presented) || ok;
    }
    return ok;
  }

  private chargeFailure(context: ExecutionContext, req: Request): void {
    if (!this.failures?.enabled) {
      return;
    }
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const verdict = this.failures.recordFailure(client);
    if (!verdict.locked) {
      return;
    }
    if (verdict.justLocked) {
      this.logger.warn(
        { client, retryAfterSeconds: verdict.retryAfterSeconds },
        'Client locked out after failed authentications',
      );
    }
    const res = context.switchToHttp().getResponse<Response>();
    res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
    res.setHeader('X-RateLimit-Limit', String(this.failures.failuresPerWindow));
    res.setHeader('X-RateLimit-Remaining', '0');
    res.setHeader('X-RateLimit-Reset', String(verdict.retryAfterSeconds));
    throw new AuthLockoutException(verdict.retryAfterSeconds);
  }
}
