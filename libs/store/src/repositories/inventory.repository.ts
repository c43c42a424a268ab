import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { StoreEngine, StoreTx } from '../engine/store-engine';
import { accessKeyEvents, accessKeys, accounts, scanAccounts, scans, tagExemptions } from '../schema';
import { STORE_ENGINE } from '../store.constants';
import type { AccountInventory, AccountState, AccountScanResult, KeyObservation, StoredKey } from '../store.types';

// Bind parameters per statement are capped at 65,535; 14 columns x 1,000 rows stays well below.
const CHUNK = 1_000;
const BULK = 5_000;

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
    const events: Array<{ accessKeyId: string } & Omit<KeyEvent, 'at' | 'scanId'>> = [];
    const event = (accessKeyId: string, e: Omit<KeyEvent, 'at' | 'scanId'>) => events.push({ accessKeyId, ...e });
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
    // Columns as arrays through unnest: a few parameters per statement, where a multi-row VALUES list costs the
    // query builder seconds for an account of 20,000 keys.
    for (const part of chunks(r.keys, BULK)) {
      const column = <T>(pick: (k: KeyObservation) => T) => sql.param(part.map(pick));
      await tx.execute(sql`
        INSERT INTO access_keys (account_id, access_key_id, user_name, status, created_at, last_used_at,
          last_used_service, last_used_region, first_seen, last_seen, first_seen_scan_id, last_seen_scan_id)
        SELECT ${r.accountId}::text, k.access_key_id, k.user_name, k.status, k.created_at, k.last_used_at,
          k.last_used_service, k.last_used_region, ${r.readAt}::timestamptz, ${r.readAt}::timestamptz,
          ${r.scanId}::bigint, ${r.scanId}::bigint
        FROM unnest(${column((k) => k.accessKeyId)}::text[], ${column((k) => k.userName)}::text[],
          ${column((k) => k.status)}::text[], ${column((k) => k.createdAt)}::timestamptz[],
          ${column((k) => k.lastUsedAt)}::timestamptz[], ${column((k) => k.lastUsedService)}::text[],
          ${column((k) => k.lastUsedRegion)}::text[])
          AS k (access_key_id, user_name, status, created_at, last_used_at, last_used_service, last_used_region)
        ON CONFLICT (account_id, access_key_id) DO UPDATE SET
          user_name = excluded.user_name, status = excluded.status, created_at = excluded.created_at,
          last_used_at = excluded.last_used_at, last_used_service = excluded.last_used_service,
          last_used_region = excluded.last_used_region, last_seen = excluded.last_seen,
          last_seen_scan_id = excluded.last_seen_scan_id, deleted_at = NULL, rotated_to = NULL`);
    }
    const seen = new Set(r.keys.map((k) => k.accessKeyId));
    const unseen = new Set(r.unseenUsers ?? []);
    const gone = existing.filter((k) => !k.deletedAt && !seen.has(k.accessKeyId) && !unseen.has(k.userName));
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
    for (const part of chunks(events, BULK)) {
      const column = <T>(pick: (e: (typeof events)[number]) => T) => sql.param(part.map(pick));
      await tx.execute(sql`
        INSERT INTO access_key_events (account_id, access_key_id, scan_id, kind, old_status, new_status, at)
        SELECT ${r.accountId}::text, e.access_key_id, ${r.scanId}::bigint, e.kind, e.old_status, e.new_status,
          ${r.readAt}::timestamptz
        FROM unnest(${column((e) => e.accessKeyId)}::text[], ${column((e) => e.kind)}::text[],
          ${column((e) => e.oldStatus)}::text[], ${column((e) => e.newStatus)}::text[])
          AS e (access_key_id, kind, old_status, new_status)`);
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
            source: scans.source,
          })
          .from(scanAccounts)
          .innerJoin(scans, eq(scans.id, scanAccounts.scanId))
          .where(
            and(
              eq(scanAccounts.status, 'complete'),
              accountIds ? inArray(scanAccounts.accountId, [...accountIds]) : undefined,
            ),
          )
          .orderBy(asc(scanAccounts.accountId), desc(scanAccounts.finishedAt), desc(scanAccounts.scanId));
        if (heads.length === 0) {
          return [];
        }
        const ids = heads.map((h) => h.accountId);
        const names = new Map(
          (
            await tx
              .select({ accountId: accounts.accountId, name: accounts.name })
              .from(accounts)
              .where(inArray(accounts.accountId, ids))
          ).map((a) => [a.accountId, a.name]),
        );
        const tags = new Map<string, Map<string, unknown>>();
        for (const t of await tx.select().from(tagExemptions).where(inArray(tagExemptions.accountId, ids))) {
          const of = tags.get(t.accountId) ?? new Map<string, unknown>();
          of.set(t.userName, t.exemption);
          tags.set(t.accountId, of);
        }
        const rows = await tx
          .select()
          .from(accessKeys)
          .where(and(isNull(accessKeys.deletedAt), inArray(accessKeys.accountId, ids)))
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
          accountName: names.get(h.accountId) ?? null,
          scanId: h.scanId,
          source: h.source,
          dataReadAt: h.finishedAt as Date,
          keys: byAccount.get(h.accountId) ?? [],
          tagExemptions: tags.get(h.accountId) ?? new Map<string, unknown>(),
        }));
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
  }

  /**
   * The accounts the latest scan of each shard covered, each with its latest part in any scan: what the stored
   * inventory answers about, and why an account without a complete part has none.
   */
  async accountStates(): Promise<AccountState[]> {
    return this.engine.db.transaction(
      async (tx) => {
        const current = await tx
          .selectDistinctOn([scans.shard], { id: scans.id })
          .from(scans)
          .orderBy(asc(scans.shard), desc(scans.startedAt), desc(scans.id));
        if (current.length === 0) {
          return [];
        }
        const covered = await tx
          .selectDistinct({ accountId: scanAccounts.accountId })
          .from(scanAccounts)
          .where(
            inArray(
              scanAccounts.scanId,
              current.map((c) => c.id),
            ),
          );
        if (covered.length === 0) {
          return [];
        }
        const rows = await tx
          .selectDistinctOn([scanAccounts.accountId], {
            accountId: scanAccounts.accountId,
            accountName: accounts.name,
            status: scanAccounts.status,
            errorCode: scanAccounts.errorCode,
            finishedAt: scanAccounts.finishedAt,
            scanId: scanAccounts.scanId,
          })
          .from(scanAccounts)
          .innerJoin(accounts, eq(accounts.accountId, scanAccounts.accountId))
          .where(
            inArray(
              scanAccounts.accountId,
              covered.map((c) => c.accountId),
            ),
          )
          .orderBy(asc(scanAccounts.accountId), desc(scanAccounts.scanId));
        return rows;
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
