import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC } from './public.decorator';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class MissingTokenException extends UnauthorizedException {
  constructor(message: string) {
    super({ code: 'UNAUTHORIZED', message });
  }
}

/**
 * Bearer tokens compared in constant time: both sides are hashed to equal length, and every configured
 * token is compared, so neither the position of a match nor a token's length leaks through timing.
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly digests: Buffer[];

  constructor(
    tokens: string[],
    private readonly reflector: Reflector,
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
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header ?? '');
    if (!match) {
      throw new MissingTokenException('Send Authorization: Bearer <token>');
    }
    const presented = digest(match[1]);
    let ok = false;
    for (const d of this.digests) {
      ok = timingSafeEqual(d, presented) || ok;
    }
    if (!ok) {
      throw new MissingTokenException('The bearer token is not valid');
    }
    return true;
  }
}
