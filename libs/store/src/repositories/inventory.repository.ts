import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { StoreEngine, StoreTx } from '../engine/store-engine';
import { accessKeyEvents, accessKeys, scanAccounts } from '../schema';
import { STORE_ENGINE } from '../store.constants';
import type { AccountInventory, AccountScanResult, KeyObservation, StoredKey } from '../store.types';

// Bind parameters per statement are capped at 65,535; 14 columns x 1,000 rows stays well below.
const CHUNK = 1_000;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}

export interface KeyEvent {
  kind: 'first_seen' | 'status_changed' | 'deleted' | 'reappeared';
  oldStatus: string | null;
  newStatus: string | null;
  at: Date;
  scanId: number | null;
}

@Injectable()
export class InventoryRepository {
  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  /**
   * Writes an account's keys as a scan found them, inside the caller's transaction: new keys inserted, known
   * ones updated, missing ones marked deleted (with the user's newer key as the rotation), events recorded.
   */
  async applyKeys(tx: StoreTx, r: AccountScanResult) {
    const existing = await tx.select().from(accessKeys).where(eq(accessKeys.accountId, r.accountId));
    const known = new Map(existing.map((k) => [k.accessKeyId, k]));
    const events: Array<typeof accessKeyEvents.$inferInsert> = [];
    const event = (accessKeyId: string, e: Omit<KeyEvent, 'at' | 'scanId'>) =>
      events.push({ accountId: r.accountId, accessKeyId, scanId: r.scanId, at: r.readAt, ...e });
    let added = 0;
    let changed = 0;
    for (const key of r.keys) {
      const prev = known.get(key.accessKeyId);
      if (!prev) {
        added++;
        event(key.accessKeyId, { kind: 'first_seen', oldStatus: null, newStatus: key.status });
      } else if (prev.deletedAt) {
        event(key.accessKeyId, { kind: 'reappeared', oldStatus: null, newStatus: key.status });
      } else if (prev.status !== key.status) {
        changed++;
        event(key.accessKeyId, { kind: 'status_changed', oldStatus: prev.status, newStatus: key.status });
      }
    }
    for (const part of chunks(r.keys)) {
      await tx
        .insert(accessKeys)
        .values(
          part.map((k) => ({
            accountId: r.accountId,
            ...k,
            firstSeen: r.readAt,
            lastSeen: r.readAt,
            firstSeenScanId: r.scanId,
            lastSeenScanId: r.scanId,
          })),
        )
        .onConflictDoUpdate({
          target: [accessKeys.accountId, accessKeys.accessKeyId],
          set: {
            userName: sql`excluded.user_name`,
            status: sql`excluded.status`,
            createdAt: sql`excluded.created_at`,
            lastUsedAt: sql`excluded.last_used_at`,
            lastUsedService: sql`excluded.last_used_service`,
            lastUsedRegion: sql`excluded.last_used_region`,
            lastSeen: sql`excluded.last_seen`,
            lastSeenScanId: sql`excluded.last_seen_scan_id`,
            deletedAt: null,
            rotatedTo: null,
          },
        });
    }
    const seen = new Set(r.keys.map((k) => k.accessKeyId));
    const gone = existing.filter((k) => !k.deletedAt && !seen.has(k.accessKeyId));
    const keysOfUser = groupByUser(r.keys);
    const marks = gone.map((key) => {
      event(key.accessKeyId, { kind: 'deleted', oldStatus: key.status, newStatus: null });
      return { id: key.accessKeyId, rotatedTo: rotationOf(key, keysOfUser.get(key.userName) ?? []) };
    });
    // A whole account rotated at once is thousands of keys: one statement per chunk, each key its own rotation.
    for (const part of chunks(marks)) {
      await tx.execute(sql`
        UPDATE access_keys SET deleted_at = ${r.readAt}, rotated_to = v.rotated_to
        FROM unnest(${sql.param(part.map((m) => m.id))}::text[], ${sql.param(part.map((m) => m.rotatedTo))}::text[])
          AS v (access_key_id, rotated_to)
        WHERE access_keys.account_id = ${r.accountId} AND access_keys.access_key_id = v.access_key_id`);
    }
    for (const part of chunks(events)) {
      await tx.insert(accessKeyEvents).values(part);
    }
    return { keysSeen: r.keys.length, keysAdded: added, keysChanged: changed, keysDeleted: gone.length };
  }

  /**
   * Each account's keys from its latest complete scan, read in one snapshot so keys and their scan agree.
   * Accounts never completed are absent.
   */
  async latest(accountIds?: readonly string[]): Promise<AccountInventory[]> {
    return this.engine.db.transaction(
      async (tx) => {
        const heads = await tx
          .selectDistinctOn([scanAccounts.accountId], {
            accountId: scanAccounts.accountId,
            scanId: scanAccounts.scanId,
            finishedAt: scanAccounts.finishedAt,
          })
          .from(scanAccounts)
          .where(
            and(
              eq(scanAccounts.status, 'complete'),
              accountIds ? inArray(scanAccounts.accountId, [...accountIds]) : undefined,
            ),
          )
          .orderBy(asc(scanAccounts.accountId), desc(scanAccounts.finishedAt));
        if (heads.length === 0) {
          return [];
        }
        const rows = await tx
          .select()
          .from(accessKeys)
          .where(
            and(
              isNull(accessKeys.deletedAt),
              inArray(
                accessKeys.accountId,
                heads.map((h) => h.accountId),
              ),
            ),
          )
          .orderBy(asc(accessKeys.accountId), asc(accessKeys.userName), asc(accessKeys.accessKeyId));
        const byAccount = new Map<string, StoredKey[]>();
        for (const k of rows) {
          const list = byAccount.get(k.accountId) ?? [];
          list.push({
            accountId: k.accountId,
            userName: k.userName,
            accessKeyId: k.accessKeyId,
            status: k.status,
            createdAt: k.createdAt,
            lastUsedAt: k.lastUsedAt,
            lastUsedService: k.lastUsedService,
            lastUsedRegion: k.lastUsedRegion,
            firstSeen: k.firstSeen,
            lastSeen: k.lastSeen,
          });
          byAccount.set(k.accountId, list);
        }
        return heads.map((h) => ({
          accountId: h.accountId,
          scanId: h.scanId,
          dataReadAt: h.finishedAt as Date,
          keys: byAccount.get(h.accountId) ?? [],
        }));
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
  }

  async history(accountId: string, accessKeyId: string): Promise<KeyEvent[]> {
    return this.engine.db
      .select({
        kind: accessKeyEvents.kind,
        oldStatus: accessKeyEvents.oldStatus,
        newStatus: accessKeyEvents.newStatus,
        at: accessKeyEvents.at,
        scanId: accessKeyEvents.scanId,
      })
      .from(accessKeyEvents)
      .where(and(eq(accessKeyEvents.accountId, accountId), eq(accessKeyEvents.accessKeyId, accessKeyId)))
      .orderBy(asc(accessKeyEvents.id));
  }

  /** A key's stored row, deleted or not; null if never seen. */
  async key(accountId: string, accessKeyId: string) {
    const rows = await this.engine.db
      .select()
      .from(accessKeys)
      .where(and(eq(accessKeys.accountId, accountId), eq(accessKeys.accessKeyId, accessKeyId)));
    return rows[0] ?? null;
  }
}

function groupByUser(keys: readonly KeyObservation[]): Map<string, KeyObservation[]> {
  const byUser = new Map<string, KeyObservation[]>();
  for (const k of keys) {
    const list = byUser.get(k.userName) ?? [];
    list.push(k);
    byUser.set(k.userName, list);
  }
  return byUser;
}

/** The user's newest key created after the one that went away: the rotation that replaced it. */
function rotationOf(gone: { createdAt: Date }, userKeys: readonly KeyObservation[]): string | null {
  let newest: KeyObservation | null = null;
  for (const k of userKeys) {
    if (k.createdAt > gone.createdAt && (!newest || k.createdAt > newest.createdAt)) {
      newest = k;
    }
  }
  return newest?.accessKeyId ?? null;
}
