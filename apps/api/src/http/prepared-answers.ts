import { Injectable } from '@nestjs/common';
import { PreparedAnswerCache, requestSignature, sendPreparedAnswer, type PreparedAnswerRequest } from '@app/platform';
import type { Request, Response } from 'express';

/**
 * The API's warm read routes answer through here: the body is built and serialized once per (route,
 * parameters, data version) for as long as it stays exact, each answer carries an ETag (a hash of its bytes, so
 * it changes exactly when the body does), and If-None-Match answers 304 without a body. Guards, pipes, logs,
 * metrics and the exception filter run as for any route: only the body's building is skipped when warm.
 *
 * A route uses it with `@Res()` and awaits {@link send}; errors thrown by the build reach the exception filter.
 */
@Injectable()
export class PreparedAnswers {
  /** Shared with the fast path (installWarmFastPath), which serves requests noted here once fresh. */
  readonly cache = new PreparedAnswerCache();

  /** Builds run so far (tests count them). */
  get buildCount(): number {
    return this.cache.buildCount;
  }

  async send(req: Request, res: Response, request: PreparedAnswerRequest): Promise<void> {
    const answer = await this.cache.answer(request);
    sendPreparedAnswer(req, res, answer);
    // Every guard and pipe passed for this exact request: the same request again may take the fast path.
    const signature = requestSignature(req);
    const route = (req.route as { path?: string } | undefined)?.path;
    if (signature !== undefined && route !== undefined) {
      this.cache.remember(signature, request.key, route, answer.version);
    }
  }
}

type KeyValue = string | number | boolean | readonly string[] | undefined;

/**
 * One cache key per route and normalized parameters, so equal questions share an answer: the caller fills in
 * defaults; lists are sorted and deduplicated here (for parameters where order and repeats mean nothing);
 * undefined values are left out.
 */
export function answerKey(route: string, params: Record<string, KeyValue>): string {
  const parts = Object.keys(params)
    .sort()
    .flatMap((name) => {
      const value = params[name];
      if (value === undefined) {
        return [];
      }
      const text =
        typeof value === 'object'
          ? [...new Set(value)].sort().map(encodeURIComponent).join(',')
          : encodeURIComponent(String(value));
      return [`${name}=${text}`];
    });
  return `${route}?${parts.join('&')}`;
}
