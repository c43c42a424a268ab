/** Users whose tags are remembered at once (about 200 bytes each); the least recently read go first beyond it. */
export const USER_TAGS_CACHE_ENTRIES = 20_000;

type Tags = Record<string, string>;

/**
 * User tags read for tag exemptions, reused for the scan cache's TTL (SCAN_CACHE_TTL_SECONDS), so a dashboard asking
 * the inventory every few seconds costs one ListUserTags per user with findings per TTL, not per request. Concurrent
 * readers of one user share the call in flight; a failed read is never reused. A TTL of 0 reads every time.
 */
export class UserTagsCache {
  private readonly entries = new Map<string, { at: number; tags: Promise<Tags> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = USER_TAGS_CACHE_ENTRIES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  read(key: string, nowMs: number, load: () => Promise<Tags>): Promise<Tags> {
    if (!(this.ttlMs > 0)) {
      return load();
    }
    const hit = this.entries.get(key);
    if (hit && nowMs - hit.at < this.ttlMs) {
      return hit.tags;
    }
    const tags = load();
    this.entries.delete(key);
    this.entries.set(key, { at: nowMs, tags });
    tags.catch(() => {
      if (this.entries.get(key)?.tags === tags) {
        this.entries.delete(key);
      }
    });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) {
        this.entries.delete(oldest.value);
      }
    }
    return tags;
  }
}
