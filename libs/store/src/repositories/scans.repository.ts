import { Inject, Injectable, Optional } from '@nestjs/common';
import { and, asc, desc, eq, gt, inArray, isNotNull, ne } from 'drizzle-orm';
import { InventoryChangeFeed } from '../changes/inventory-change.feed';
import type { StoreEngine, StoreTx } from '../engine/store-engine';
import { accounts, scanAccounts, scans, tagExemptions } from '../schema';
import { STORE_ENGINE } from '../store.constants';
import type {
  AccountScanCounts,
  AccountScanResult,
  RecordOutcome,
  ScanSource,
  ScanStatus,
  ScanTrigger,
  ScanView,
} from '../store.types';
import { AccountsRepository } from './accounts.repository';
import { FindingsRepository } from './findings.repository';
import { InventoryRepository } from './inventory.repository';

export class ScanStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanStateError';
  }
}

@Injectable()
export class ScansRepository {
  constructor(
    @Inject(STORE_ENGINE) private readonly engine: StoreEngine,
    private readonly accounts: AccountsRepository,
    private readonly inventory: InventoryRepository,
    private readonly findings: FindingsRepository,
    @Optional() private readonly changes?: InventoryChangeFeed,
  ) {}

  /** A transaction whose readers in this process are told of it at once (others hear it through the feed). */
  private async write<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    try {
      return await this.engine.db.transaction(work);
    } finally {
      this.changes?.changedHere();
    }
  }

  /** A running scan with a pending part per account. */
  async start(input: {
    source: ScanSource;
    trigger: ScanTrigger;
    accounts: ReadonlyArray<{ accountId: string; name?: string | null }>;
    startedAt: Date;
    /** `all` (default) or `index/count`. */
    shard?: string;
  }): Promise<number> {
    return this.write(async (tx) => {
      const [row] = await tx
        .insert(scans)
        .values({
          source: input.source,
          trigger: input.trigger,
          startedAt: input.startedAt,
          shard: input.shard ?? 'all',
        })
        .returning({ id: scans.id });
      for (const a of input.accounts) {
        await this.accounts.upsert(a.accountId, a.name, input.startedAt, tx);
      }
      if (input.accounts.length > 0) {
        await tx
          .insert(scanAccounts)
          .values(input.accounts.map((a) => ({ scanId: row.id, accountId: a.accountId, startedAt: input.startedAt })));
      }
      return row.id;
    });
  }

  /**
   * One account's part of a scan, all or nothing: its keys, their history, its findings and its completed
   * scan_accounts row commit together, so no reader sees half an account. A part read before the account's
   * latest recorded one is left out (its part fails as SUPERSEDED): an older read never overwrites a newer.
   */
  async recordAccount(r: AccountScanResult): Promise<RecordOutcome> {
    return this.write(async (tx) => {
      const [scan] = await tx.select({ status: scans.status }).from(scans).where(eq(scans.id, r.scanId));
      if (!scan) {
        throw new ScanStateError(`Scan ${r.scanId} does not exist`);
      }
      if (scan.status !== 'running') {
        throw new ScanStateError(`Scan ${r.scanId} is ${scan.status}; it takes no more results`);
      }
      // The upsert locks the account's row: writers of one account take turns from here on.
      await this.accounts.upsert(r.accountId, r.accountName, r.readAt, tx);
      const newer = await tx
        .select({ scanId: scanAccounts.scanId })
        .from(scanAccounts)
        .where(
          and(
            eq(scanAccounts.accountId, r.accountId),
            eq(scanAccounts.status, 'complete'),
            gt(scanAccounts.finishedAt, r.readAt),
            ne(scanAccounts.scanId, r.scanId),
          ),
        )
        .limit(1);
      if (newer.length > 0) {
        const superseded = { status: 'failed' as const, finishedAt: r.readAt, errorCode: 'SUPERSEDED' };
        await tx
          .insert(scanAccounts)
          .values({ scanId: r.scanId, accountId: r.accountId, startedAt: r.readAt, ...superseded })
          .onConflictDoUpdate({ target: [scanAccounts.scanId, scanAccounts.accountId], set: superseded });
        return { recorded: false, reason: 'SUPERSEDED' } as const;
      }
      const keyCounts = await this.inventory.applyKeys(tx, r);
      const findingCounts = await this.findings.applyFindings(tx, r);
      const counts: AccountScanCounts = { ...keyCounts, ...findingCounts };
      const done = {
        status: 'complete' as const,
        finishedAt: r.readAt,
        errorCode: null,
        durationMs: r.durationMs === undefined ? null : Math.max(0, Math.round(r.durationMs)),
        ...counts,
      };
      await tx
        .insert(scanAccounts)
        .values({ scanId: r.scanId, accountId: r.accountId, startedAt: r.readAt, ...done })
        .onConflictDoUpdate({ target: [scanAccounts.scanId, scanAccounts.accountId], set: done });
      if (r.tagExemptions) {
        await tx.delete(tagExemptions).where(eq(tagExemptions.accountId, r.accountId));
        if (r.tagExemptions.length > 0) {
          await tx.insert(tagExemptions).values(
            r.tagExemptions.map((t) => ({
              accountId: r.accountId,
              userName: t.userName,
              exemption: t.exemption,
              scanId: r.scanId,
            })),
          );
        }
      }
      return { recorded: true, ...counts };
    });
  }

  async failAccount(scanId: number, accountId: string, errorCode: string, at: Date): Promise<void> {
    await this.write(async (tx) => {
      await this.accounts.upsert(accountId, null, at, tx);
      const failed = { status: 'failed' as const, finishedAt: at, errorCode };
      await tx
        .insert(scanAccounts)
        .values({ scanId, accountId, startedAt: at, ...failed })
        .onConflictDoUpdate({ target: [scanAccounts.scanId, scanAccounts.accountId], set: failed });
    });
  }

  /** An account listed but not scannable (its state, e.g. SUSPENDED, as the reason). */
  async skipAccount(scanId: number, accountId: string, name: string | null | undefined, reason: string, at: Date) {
    await this.write(async (tx) => {
      await this.accounts.upsert(accountId, name, at, tx);
      const skipped = { status: 'skipped' as const, finishedAt: at, errorCode: reason };
      await tx
        .insert(scanAccounts)
        .values({ scanId, accountId, startedAt: at, ...skipped })
        .onConflictDoUpdate({ target: [scanAccounts.scanId, scanAccounts.accountId], set: skipped });
    });
  }

  /** Ends a scan: parts still pending failed as INCOMPLETE; complete, partial or failed by what its parts did. */
  async finish(scanId: number, at: Date): Promise<ScanStatus> {
    return this.write(async (tx) => {
      await tx
        .update(scanAccounts)
        .set({ status: 'failed', finishedAt: at, errorCode: 'INCOMPLETE' })
        .where(and(eq(scanAccounts.scanId, scanId), eq(scanAccounts.status, 'pending')));
      const parts = await tx
        .select({ status: scanAccounts.status })
        .from(scanAccounts)
        .where(eq(scanAccounts.scanId, scanId));
      const scanned = parts.filter((p) => p.status !== 'skipped');
      const complete = scanned.filter((p) => p.status === 'complete').length;
      const status: ScanStatus = complete === scanned.length ? 'complete' : complete === 0 ? 'failed' : 'partial';
      const updated = await tx
        .update(scans)
        .set({ status, finishedAt: at })
        .where(and(eq(scans.id, scanId), eq(scans.status, 'running')))
        .returning({ id: scans.id });
      if (updated.length === 0) {
        throw new ScanStateError(`Scan ${scanId} is not running`);
      }
      return status;
    });
  }

  /** The running scans of a shard, oldest first. */
  async running(shard = 'all'): Promise<number[]> {
    const rows = await this.engine.db
      .select({ id: scans.id })
      .from(scans)
      .where(and(eq(scans.status, 'running'), eq(scans.shard, shard)))
      .orderBy(asc(scans.id));
    return rows.map((r) => r.id);
  }

  /**
   * Ends the running scans of a shard that no runner holds any more (the process was killed): their pending
   * parts fail as INCOMPLETE, what was recorded stays. Returns their ids.
   */
  async abandon(shard: string, at: Date, keep: readonly number[] = []): Promise<number[]> {
    const ids = (await this.running(shard)).filter((id) => !keep.includes(id));
    for (const id of ids) {
      await this.finish(id, at);
    }
    return ids;
  }

  /** Each account's own scan time in its latest complete part that has one (older parts were recorded without). */
  async lastDurations(accountIds: readonly string[]): Promise<Map<string, number>> {
    if (accountIds.length === 0) {
      return new Map();
    }
    const rows = await this.engine.db
      .selectDistinctOn([scanAccounts.accountId], {
        accountId: scanAccounts.accountId,
        durationMs: scanAccounts.durationMs,
      })
      .from(scanAccounts)
      .where(
        and(
          eq(scanAccounts.status, 'complete'),
          isNotNull(scanAccounts.durationMs),
          inArray(scanAccounts.accountId, [...accountIds]),
        ),
      )
      .orderBy(asc(scanAccounts.accountId), desc(scanAccounts.finishedAt));
    return new Map(rows.flatMap((r) => (r.durationMs === null ? [] : [[r.accountId, r.durationMs]])));
  }

  /** When the latest scan of these triggers started, whatever became of it; null when none ever did. */
  async lastStarted(
    triggers: readonly ScanTrigger[],
  ): Promise<{ id: number; startedAt: Date; status: ScanStatus } | null> {
    const [row] = await this.engine.db
      .select({ id: scans.id, startedAt: scans.startedAt, status: scans.status })
      .from(scans)
      .where(inArray(scans.trigger, [...triggers]))
      .orderBy(desc(scans.startedAt), desc(scans.id))
      .limit(1);
    return row ?? null;
  }

  async get(scanId: number): Promise<ScanView | null> {
    const [scan] = await this.engine.db.select().from(scans).where(eq(scans.id, scanId));
    if (!scan) {
      return null;
    }
    const parts = await this.engine.db
      .select({ part: scanAccounts, accountName: accounts.name })
      .from(scanAccounts)
      .innerJoin(accounts, eq(accounts.accountId, scanAccounts.accountId))
      .where(eq(scanAccounts.scanId, scanId))
      .orderBy(asc(scanAccounts.accountId));
    return {
      id: scan.id,
      source: scan.source,
      trigger: scan.trigger,
      status: scan.status,
      shard: scan.shard,
      startedAt: scan.startedAt,
      finishedAt: scan.finishedAt,
      accounts: parts.map(({ part: p, accountName }) => ({
        accountId: p.accountId,
        accountName,
        status: p.status,
        errorCode: p.errorCode,
        finishedAt: p.finishedAt,
        keysSeen: p.keysSeen,
        keysAdded: p.keysAdded,
        keysChanged: p.keysChanged,
        keysDeleted: p.keysDeleted,
        findingsOpened: p.findingsOpened,
        findingsResolved: p.findingsResolved,
      })),
    };
  }
}
