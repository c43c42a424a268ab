import { Inject, Injectable } from '@nestjs/common';
import { and, isNotNull, lt, ne, notExists, notInArray, sql, eq, isNull, asc, desc } from 'drizzle-orm';
import type { StoreEngine } from '../engine/store-engine';
import { accessKeyEvents, accessKeys, findings, notifications, scanAccounts, scans } from '../schema';
import { STORE_ENGINE } from '../store.constants';

export interface PurgeCounts {
  scans: number;
  deletedKeys: number;
  keyEvents: number;
  resolvedFindings: number;
  notifications: number;
}

const DAY_MS = 86_400_000;

@Injectable()
export class RetentionRepository {
  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  /**
   * Forgets history older than `days`: finished scans (never one an account's current inventory comes from),
   * keys deleted before then with their events and findings, older events, resolved findings, and the
   * notifications of keys no longer live (a live key's ladder needs its record of what was sent).
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
      const sent = await tx
        .delete(notifications)
        .where(
          and(
            lt(notifications.sentAt, cutoff),
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
      };
    });
  }
}
