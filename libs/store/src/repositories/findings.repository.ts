import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { StoreEngine, StoreTx } from '../engine/store-engine';
import { findings } from '../schema';
import { STORE_ENGINE } from '../store.constants';
import type { AccountScanResult, StoredFindingCode } from '../store.types';
import { chunks } from './inventory.repository';

export interface StoredFinding {
  accountId: string;
  accessKeyId: string;
  userName: string;
  code: StoredFindingCode;
  firstSeen: Date;
  lastSeen: Date;
  resolvedAt: Date | null;
}

const findingKey = (accessKeyId: string, code: string) => `${accessKeyId}\u0000${code}`;

@Injectable()
export class FindingsRepository {
  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  /** Opens what the scan found that was not open, keeps what still holds, resolves what no longer does. */
  async applyFindings(tx: StoreTx, r: AccountScanResult) {
    const users = new Map(r.keys.map((k) => [k.accessKeyId, k.userName]));
    const open = await tx
      .select({ id: findings.id, accessKeyId: findings.accessKeyId, code: findings.code })
      .from(findings)
      .where(and(eq(findings.accountId, r.accountId), isNull(findings.resolvedAt)));
    const openByKey = new Map(open.map((f) => [findingKey(f.accessKeyId, f.code), f.id]));
    const found = new Set<string>();
    const toOpen: Array<typeof findings.$inferInsert> = [];
    for (const f of r.findings) {
      const userName = users.get(f.accessKeyId);
      if (userName === undefined) {
        throw new Error(`Finding ${f.code} names key ${f.accessKeyId}, which the scan of ${r.accountId} did not see`);
      }
      const k = findingKey(f.accessKeyId, f.code);
      found.add(k);
      if (!openByKey.has(k)) {
        toOpen.push({
          accountId: r.accountId,
          accessKeyId: f.accessKeyId,
          userName,
          code: f.code,
          firstSeen: r.readAt,
          lastSeen: r.readAt,
          firstSeenScanId: r.scanId,
        });
      }
    }
    const still = open.filter((f) => found.has(findingKey(f.accessKeyId, f.code))).map((f) => f.id);
    const resolved = open.filter((f) => !found.has(findingKey(f.accessKeyId, f.code))).map((f) => f.id);
    for (const part of chunks(toOpen)) {
      await tx.insert(findings).values(part);
    }
    for (const part of chunks(still)) {
      await tx.update(findings).set({ lastSeen: r.readAt }).where(inArray(findings.id, part));
    }
    for (const part of chunks(resolved)) {
      await tx
        .update(findings)
        .set({ resolvedAt: r.readAt, resolvedScanId: r.scanId })
        .where(inArray(findings.id, part));
    }
    return { findingsOpened: toOpen.length, findingsResolved: resolved.length };
  }

  async open(accountId?: string): Promise<StoredFinding[]> {
    return this.select(and(isNull(findings.resolvedAt), accountId ? eq(findings.accountId, accountId) : undefined));
  }

  /** Every finding a key ever had, open or resolved, oldest first. */
  async forKey(accountId: string, accessKeyId: string): Promise<StoredFinding[]> {
    return this.select(and(eq(findings.accountId, accountId), eq(findings.accessKeyId, accessKeyId)));
  }

  private select(where: ReturnType<typeof and>) {
    return this.engine.db
      .select({
        accountId: findings.accountId,
        accessKeyId: findings.accessKeyId,
        userName: findings.userName,
        code: findings.code,
        firstSeen: findings.firstSeen,
        lastSeen: findings.lastSeen,
        resolvedAt: findings.resolvedAt,
      })
      .from(findings)
      .where(where)
      .orderBy(asc(findings.accountId), asc(findings.accessKeyId), asc(findings.id));
  }
}
