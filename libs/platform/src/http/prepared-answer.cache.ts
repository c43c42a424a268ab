import { entityTagOf } from './entity-tag';

/** An answer's JSON, serialized once, with its tag; served as is until `validUntilMs` or a new data version. */
export interface PreparedAnswer {
  readonly body: Buffer;
  readonly etag: string;
  /** The data version it was built from (e.g. a scan id); '' when freshness is by time alone. */
  readonly version: string;
  /** Epoch ms (on the caller's clock) from which the bytes may differ from a fresh build's. */
  readonly validUntilMs: number;
}

/** What a build says: the answer, and until when it stays exactly the same (a past instant: not reusable). */
export interface BuiltAnswer {
  value: unknown;
  validUntilMs: number;
}

export interface PreparedAnswerRequest {
  /** The route and its normalized parameters: two requests with one key must get the same answer. */
  key: string;
  version?: string;
  nowMs: number;
  build: () => Promise<BuiltAnswer>;
}

/** Answers held at once; least recently used first out. Each is one route's body (tens of KB to a few MB). */
export const PREPARED_ANSWERS_MAX = 64;

/**
 * Serialized answers per (route, parameters, data version) for as long as they stay exact, so a warm read costs a
 * map lookup and a write instead of building and stringifying the body. Concurrent misses of one key share one
 * build (a dashboard of 50 tabs rebuilds once, not 50 times); a build that fails is shared by its waiters and
 * never kept. A waiter that arrives after the shared build's answer went stale builds its own.
 */
export class PreparedAnswerCache {
  private readonly answers = new Map<string, PreparedAnswer>();
  private readonly building = new Map<string, Promise<PreparedAnswer>>();
  private readonly requests = new Map<string, { key: string; route: string }>();
  private builds = 0;

  constructor(private readonly maxEntries = PREPARED_ANSWERS_MAX) {}

  /** Builds run so far (for tests: call counts, not timings). */
  get buildCount(): number {
    return this.builds;
  }

  get size(): number {
    return this.answers.size;
  }

  async answer(request: PreparedAnswerRequest): Promise<PreparedAnswer> {
    const version = request.version ?? '';
    const held = this.fresh(request.key, version, request.nowMs);
    if (held) {
      return held;
    }
    const slot = `${version}\u0000${request.key}`;
    const running = this.building.get(slot);
    if (running) {
      const shared = await running;
      if (request.nowMs < shared.validUntilMs) {
        return shared;
      }
    }
    return this.build(request, version, slot);
  }

  /** Forgets every answer (e.g. when the data changed in a way no version or clock shows). */
  clear(): void {
    this.answers.clear();
    this.requests.clear();
  }

  /** Forgets the answers whose key starts with `prefix` (one route's, when the data it is built from changed). */
  forget(prefix: string): void {
    for (const key of this.answers.keys()) {
      if (key.startsWith(prefix)) {
        this.answers.delete(key);
      }
    }
  }

  /**
   * Notes that the request `signature` (its method, URL and body, exactly as sent) was answered with `key`'s
   * answer after every guard and pipe passed, so the same request again may be served from
   * {@link warm} without them re-deriving the key. Answers with a data version are not noted: only the route
   * can tell whether its version is still the current one.
   */
  remember(signature: string, key: string, route: string, version = ''): void {
    if (version !== '') {
      return;
    }
    this.requests.delete(signature);
    this.requests.set(signature, { key, route });
    while (this.requests.size > this.maxEntries * 4) {
      const oldest = this.requests.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.requests.delete(oldest);
    }
  }

  /** The answer still fresh at `nowMs` for a request noted by {@link remember}, and its route's name. */
  warm(signature: string, nowMs: number): { answer: PreparedAnswer; route: string } | undefined {
    const noted = this.requests.get(signature);
    if (!noted) {
      return undefined;
    }
    const answer = this.fresh(noted.key, '', nowMs);
    return answer ? { answer, route: noted.route } : undefined;
  }

  private fresh(key: string, version: string, nowMs: number): PreparedAnswer | undefined {
    const held = this.answers.get(key);
    if (!held) {
      return undefined;
    }
    if (held.version !== version || nowMs >= held.validUntilMs) {
      this.answers.delete(key);
      return undefined;
    }
    // Most recently used last, so the first in the map is the first out.
    this.answers.delete(key);
    this.answers.set(key, held);
    return held;
  }

  private async build(request: PreparedAnswerRequest, version: string, slot: string): Promise<PreparedAnswer> {
    this.builds++;
    const work = request.build().then(({ value, validUntilMs }) => {
      const body = Buffer.from(JSON.stringify(value));
      const answer: PreparedAnswer = { body, etag: entityTagOf(body), version, validUntilMs };
      if (request.nowMs < validUntilMs) {
        this.keep(request.key, answer);
      }
      return answer;
    });
    this.building.set(slot, work);
    try {
      return await work;
    } finally {
      if (this.building.get(slot) === work) {
        this.building.delete(slot);
      }
    }
  }

  private keep(key: string, answer: PreparedAnswer): void {
    this.answers.delete(key);
    this.answers.set(key, answer);
    while (this.answers.size > this.maxEntries) {
      const oldest = this.answers.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.answers.delete(oldest);
    }
  }
}
