import type { IamAccessKey } from '../iam.types';
import type { ReportKeySlot } from './credential-report.parser';

interface Entry {
  fingerprint: string;
  keys: IamAccessKey[];
  /** The sweep that last saw this user in a report. */
  seenIn: number;
}

export interface KeyIdCacheStats {
  entries: number;
  hits: number;
  misses: number;
}

/** IAM allows 5,000 users per account; room for that with margin, and the oldest go first beyond it. */
export const DEFAULT_KEY_ID_CACHE_ENTRIES = 10_000;

/**
 * Access key ids the credential report lacks, learnt from ListAccessKeys and reused while the user's
 * report row shows the same slot fingerprint (both slots' active flag and creation date). Key ids are
 * immutable and a key's creation date is its identity in the report, so an equal fingerprint means the
 * same keys in the same states; any rotation, deletion, new key or status change changes it. In memory,
 * per process, bounded (least recently used go first).
 */
export class KeyIdCache {
  private readonly entries = new Map<string, Entry>();
  private sweeps = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly maxEntries = DEFAULT_KEY_ID_CACHE_ENTRIES) {}

  stats(): KeyIdCacheStats {
    return { entries: this.entries.size, hits: this.hits, misses: this.misses };
  }

  /** The keys learnt for this user, if the report still shows the slots they were learnt under. */
  get(userName: string, fingerprint: string): IamAccessKey[] | undefined {
    const entry = this.entries.get(userName);
    if (!entry || entry.fingerprint !== fingerprint) {
      if (entry) {
        this.entries.delete(userName);
      }
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(userName);
    this.entries.set(userName, entry);
    return entry.keys;
  }

  /** Whether `get` would answer, without counting a hit or a miss. */
  has(userName: string, fingerprint: string): boolean {
    return this.entries.get(userName)?.fingerprint === fingerprint;
  }

  /**
   * Keeps what ListAccessKeys answered, but only when it is exactly what the report row shows: keys
   * changed since the report was generated would otherwise be served for as long as that report lives.
   */
  remember(userName: string, fingerprint: string, reportSlots: readonly ReportKeySlot[], keys: IamAccessKey[]): void {
    this.entries.delete(userName);
    if (!matchesReport(keys, reportSlots)) {
      return;
    }
    this.entries.set(userName, { fingerprint, keys, seenIn: this.sweeps });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) {
        this.entries.delete(oldest.value);
      }
    }
  }

  forget(userName: string): void {
    this.entries.delete(userName);
  }

  /** Starts reading a report; pass the result to `seen` for each user row and to `endSweep` afterwards. */
  beginSweep(): number {
    return ++this.sweeps;
  }

  seen(sweep: number, userName: string, fingerprint: string): void {
    const entry = this.entries.get(userName);
    if (entry?.fingerprint === fingerprint) {
      entry.seenIn = Math.max(entry.seenIn, sweep);
    } else if (entry) {
      this.entries.delete(userName);
    }
  }

  /** Drops the users the report read in this sweep did not show (deleted from the account). */
  endSweep(sweep: number): void {
    for (const [userName, entry] of this.entries) {
      if (entry.seenIn < sweep) {
        this.entries.delete(userName);
      }
    }
  }
}

/** Same number of keys, and each key's creation second and status match one slot. */
function matchesReport(keys: readonly IamAccessKey[], slots: readonly ReportKeySlot[]): boolean {
  if (keys.length !== slots.length) {
    return false;
  }
  const shown = slots.map((s) => `${s.active}@${s.lastRotated.getTime()}`).sort();
  const listed = keys.map((k) => `${k.status === 'Active'}@${Math.floor(k.createDate.getTime() / 1000) * 1000}`).sort();
  return shown.every((s, i) => s === listed[i]);
}
