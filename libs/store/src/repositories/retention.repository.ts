import { Inject, Injectable } from '@nestjs/common';
import { and, isNotNull, lt, ne, notExists, notInArray, sql, eq, isNull, asc, desc } from 'drizzle-orm';
import type { StoreEngine } from '../engine/store-engine';
import {
  accessKeyEvents,
  accessKeys,
  findings,
  notificationDigests,
  notificationLadders,
  notifications,
  scanAccounts,
  scans,
} from '../schema';
import { STORE_ENGINE } from '../store.constants';

export interface PurgeCounts {
  scans: number;
  deletedKeys: number;
  keyEvents: number;
  resolvedFindings: number;
  notifications: number;
  /** The notifier's ladders closed before the cutoff (their stages go with them) and digests sent before it. */
  ladders: number;
  digests: number;
}

const DAY_MS = 86_400_000;

@Injectable()
export class RetentionRepository {
  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  /**
   * Forgets history older than `days`: finished scans (never one an account's current inventory comes from),
   * keys deleted before then with their events and findings, older events, resolved findings, and the
   * notifications of keys no longer live (a live key's ladder needs its record of what was sent; an open ladder's
   * stages are always kept), the notifier's ladders closed before then, and older digests.
   */
  async purge(days: number, now: Date): Promise<PurgeCounts> {
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    return this.engine.db.transaction(async (tx) => {
      const current = tx
        .selectDistinctOn([scanAccounts.accountId], { scanId: scanAccounts.scanId })
        .from(scanAccounts)
        .where(eq(scanAccounts.status, 'complete'))
        .orderBy(asc(scanAccounts.accountId), desc(scanAccounts.finishedAt));
      const oldScans = await tx
        .delete(scans)
        .where(and(lt(scans.startedAt, cutoff), ne(scans.status, 'running'), notInArray(scans.id, current)))
        .returning({ id: scans.id });
      const deletedKeys = await tx
        .delete(accessKeys)
        .where(and(isNotNull(accessKeys.deletedAt), lt(accessKeys.deletedAt, cutoff)))
        .returning({ id: accessKeys.accessKeyId });
      const events = await tx
        .delete(accessKeyEvents)
        .where(lt(accessKeyEvents.at, cutoff))
        .returning({ id: accessKeyEvents.id });
      const resolved = await tx
        .delete(findings)
        .where(and(isNotNull(findings.resolvedAt), lt(findings.resolvedAt, cutoff)))
        .returning({ id: findings.id });
      const ladders = await tx
        .delete(notificationLadders)
        .where(and(isNotNull(notificationLadders.closedAt), lt(notificationLadders.closedAt, cutoff)))
        .returning({ id: notificationLadders.id });
      const digests = await tx
        .delete(notificationDigests)
        .where(lt(notificationDigests.sentAt, cutoff))
        .returning({ id: notificationDigests.id });
      const sent = await tx
        .delete(notifications)
        .where(
          and(
            lt(notifications.sentAt, cutoff),
            notExists(
              tx
                .select({ one: sql`1` })
                .from(notificationLadders)
                .where(and(eq(notificationLadders.id, notifications.ladderId), isNull(notificationLadders.closedAt))),
            ),
            notExists(
              tx
                .select({ one: sql`1` })
                .from(accessKeys)
                .where(
                  and(
                    eq(accessKeys.accountId, notifications.accountId),
                    eq(accessKeys.accessKeyId, notifications.accessKeyId),
                    isNull(accessKeys.deletedAt),
                  ),
                ),
            ),
          ),
        )
        .returning({ id: notifications.id });
      return {
        scans: oldScans.length,
        deletedKeys: deletedKeys.length,
        keyEvents: events.length,
        resolvedFindings: resolved.length,
        notifications: sent.length,
        ladders: ladders.length,
        digests: digests.length,
      };
    });
  }
}
