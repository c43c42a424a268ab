import { Inject, Injectable } from '@nestjs/common';
import { and, asc, count, desc, eq, gt, inArray, isNotNull, isNull, lte, max, min, sql } from 'drizzle-orm';
import type { StoreEngine } from '../engine/store-engine';
import { notificationDigests, notificationLadders, notifications } from '../schema';
import { STORE_ENGINE } from '../store.constants';

export type LadderStartStage = (typeof notificationLadders.startStage.enumValues)[number];
export type LadderResolution = NonNullable<(typeof notificationLadders.resolution.enumValues)[number]>;

export interface LadderStageSent {
  /** `warning`, `final`, `expired` or `reminder-N`. */
  stage: string;
  recipient: string;
  sesMessageId: string;
  sentAt: Date;
}

export interface Ladder {
  id: number;
  accountId: string;
  accessKeyId: string;
  userName: string | null;
  keyCreatedAt: Date | null;
  startStage: LadderStartStage;
  openedAt: Date;
  closedAt: Date | null;
  resolution: LadderResolution | null;
  rotatedTo: string | null;
}

/** An open ladder with the stages already sent on it, oldest first. */
export interface OpenLadder extends Ladder {
  sent: LadderStageSent[];
}

/** A closed ladder whose resolution no email has told yet, with who got its last email. */
export interface UnreportedResolution extends Ladder {
  closedAt: Date;
  resolution: LadderResolution;
  lastRecipient: string;
}

export interface LadderOpening {
  accountId: string;
  accessKeyId: string;
  userName: string;
  keyCreatedAt: Date;
  openedAt: Date;
}

export interface LadderClosing {
  ladderId: number;
  resolution: Exclude<LadderResolution, 'restarted'>;
  rotatedTo?: string | null;
  closedAt: Date;
}

export interface StageRecord extends LadderStageSent {
  ladderId: number;
  accountId: string;
  accessKeyId: string;
}

export interface DigestRecord {
  recipient: string;
  sesMessageId: string;
  sentAt: Date;
  summary: Record<string, unknown>;
}

export interface RotationTimes {
  /** Median days from a ladder's first email (else its opening) to its key's rotation or deletion; null when none. */
  medianDays: number | null;
  rotations: number;
}

/** Open ladders by the last stage their owner was sent (`reminder` for any reminder; `unsent` before the first). */
export interface OpenLadderStageCount {
  stage: 'warning' | 'final' | 'expired' | 'reminder' | 'unsent';
  count: number;
}

const BATCH = 1_000;

const ladderColumns = {
  id: notificationLadders.id,
  accountId: notificationLadders.accountId,
  accessKeyId: notificationLadders.accessKeyId,
  userName: notificationLadders.userName,
  keyCreatedAt: notificationLadders.keyCreatedAt,
  startStage: notificationLadders.startStage,
  openedAt: notificationLadders.openedAt,
  closedAt: notificationLadders.closedAt,
  resolution: notificationLadders.resolution,
  rotatedTo: notificationLadders.rotatedTo,
};

/**
 * The notifier's ladders: one open per key at most, closed when the key is resolved, and a new one may open later
 * for the same key. A stage is recorded once per ladder, only after SES accepted its message.
 */
@Injectable()
export class LadderRepository {
  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  /** Open ladders (of the given accounts, else all), each with the stages sent on it. */
  async openLadders(accountIds?: readonly string[]): Promise<OpenLadder[]> {
    if (accountIds?.length === 0) {
      return [];
    }
    const open = and(
      isNull(notificationLadders.closedAt),
      accountIds ? inArray(notificationLadders.accountId, [...accountIds]) : undefined,
    );
    const ladders = await this.engine.db
      .select(ladderColumns)
      .from(notificationLadders)
      .where(open)
      .orderBy(asc(notificationLadders.id));
    const sent = await this.engine.db
      .select({
        ladderId: notifications.ladderId,
        stage: notifications.stage,
        recipient: notifications.recipient,
        sesMessageId: notifications.sesMessageId,
        sentAt: notifications.sentAt,
      })
      .from(notifications)
      .innerJoin(notificationLadders, eq(notificationLadders.id, notifications.ladderId))
      .where(open)
      .orderBy(asc(notifications.sentAt), asc(notifications.id));
    const byLadder = new Map<number, LadderStageSent[]>();
    for (const { ladderId, ...row } of sent) {
      const list = byLadder.get(ladderId!) ?? [];
      list.push(row);
      byLadder.set(ladderId!, list);
    }
    return ladders.map((l) => ({ ...l, sent: byLadder.get(l.id) ?? [] }));
  }

  /** Opens a ladder for each key that has none open (a key that has one keeps it). Returns the ladders opened now. */
  async open(openings: readonly LadderOpening[]): Promise<Ladder[]> {
    const opened: Ladder[] = [];
    for (let i = 0; i < openings.length; i += BATCH) {
      opened.push(
        ...(await this.engine.db
          .insert(notificationLadders)
          .values(openings.slice(i, i + BATCH).map((o) => ({ ...o, startStage: 'warning' as const })))
          .onConflictDoNothing({
            target: [notificationLadders.accountId, notificationLadders.accessKeyId],
            where: sql`closed_at IS NULL`,
          })
          .returning(ladderColumns)),
      );
    }
    return opened;
  }

  /** Fills in the user and creation of ladders another module opened without them (`restartAt`). */
  async describeKeys(keys: ReadonlyArray<{ ladderId: number; userName: string; keyCreatedAt: Date }>): Promise<void> {
    for (const k of keys) {
      await this.engine.db
        .update(notificationLadders)
        .set({ userName: k.userName, keyCreatedAt: k.keyCreatedAt })
        .where(eq(notificationLadders.id, k.ladderId));
    }
  }

  /** Closes open ladders; one already closed stays as it was. Returns how many closed now. */
  async close(closings: readonly LadderClosing[]): Promise<number> {
    let closed = 0;
    for (const c of closings) {
      const rows = await this.engine.db
        .update(notificationLadders)
        .set({ closedAt: c.closedAt, resolution: c.resolution, rotatedTo: c.rotatedTo ?? null })
        .where(and(eq(notificationLadders.id, c.ladderId), isNull(notificationLadders.closedAt)))
        .returning({ id: notificationLadders.id });
      closed += rows.length;
    }
    return closed;
  }

  /**
   * Restarts a key's ladder at `stage` from `at`: its open ladder (if any) closes as `restarted` and a new one opens
   * whose stages below `stage` are never sent; the notifier sends `stage` on its next run and the later stages on
   * the same spacing as a fresh ladder. Calling it again with the same stage and instant changes nothing.
   * Returns the open ladder's id.
   */
  async restartAt(accountId: string, accessKeyId: string, stage: LadderStartStage, at: Date): Promise<number> {
    return this.engine.db.transaction(async (tx) => {
      const [current] = await tx
        .select({
          id: notificationLadders.id,
          startStage: notificationLadders.startStage,
          openedAt: notificationLadders.openedAt,
          userName: notificationLadders.userName,
          keyCreatedAt: notificationLadders.keyCreatedAt,
        })
        .from(notificationLadders)
        .where(
          and(
            eq(notificationLadders.accountId, accountId),
            eq(notificationLadders.accessKeyId, accessKeyId),
            isNull(notificationLadders.closedAt),
          ),
        )
        .for('update');
      if (current && current.startStage === stage && current.openedAt.getTime() === at.getTime()) {
        return current.id;
      }
      if (current) {
        await tx
          .update(notificationLadders)
          .set({ closedAt: at, resolution: 'restarted' })
          .where(eq(notificationLadders.id, current.id));
      }
      const [previous] = current
        ? [current]
        : await tx
            .select({ userName: notificationLadders.userName, keyCreatedAt: notificationLadders.keyCreatedAt })
            .from(notificationLadders)
            .where(and(eq(notificationLadders.accountId, accountId), eq(notificationLadders.accessKeyId, accessKeyId)))
            .orderBy(desc(notificationLadders.id))
            .limit(1);
      const [row] = await tx
        .insert(notificationLadders)
        .values({
          accountId,
          accessKeyId,
          userName: previous?.userName ?? null,
          keyCreatedAt: previous?.keyCreatedAt ?? null,
          startStage: stage,
          openedAt: at,
        })
        .returning({ id: notificationLadders.id });
      return row.id;
    });
  }

  /** Records a stage SES accepted. False when the ladder already holds that stage (the earlier record stands). */
  async recordStage(record: StageRecord): Promise<boolean> {
    return (await this.recordStages([record])).length === 1;
  }

  /** Records the stages one accepted message covered, in one statement; returns those not recorded before. */
  async recordStages(records: readonly StageRecord[]): Promise<Array<Pick<StageRecord, 'ladderId' | 'stage'>>> {
    if (records.length === 0) {
      return [];
    }
    const rows = await this.engine.db
      .insert(notifications)
      .values([...records])
      .onConflictDoNothing({ target: [notifications.ladderId, notifications.stage], where: sql`ladder_id IS NOT NULL` })
      .returning({ ladderId: notifications.ladderId, stage: notifications.stage });
    return rows.map((r) => ({ ladderId: r.ladderId!, stage: r.stage }));
  }

  /** Every stage recorded for a key, across its ladders, oldest first. */
  async stagesOf(accountId: string, accessKeyId: string): Promise<Array<LadderStageSent & { ladderId: number }>> {
    const rows = await this.engine.db
      .select({
        ladderId: notifications.ladderId,
        stage: notifications.stage,
        recipient: notifications.recipient,
        sesMessageId: notifications.sesMessageId,
        sentAt: notifications.sentAt,
      })
      .from(notifications)
      .where(
        and(
          eq(notifications.accountId, accountId),
          eq(notifications.accessKeyId, accessKeyId),
          isNotNull(notifications.ladderId),
        ),
      )
      .orderBy(asc(notifications.sentAt), asc(notifications.id));
    return rows.map((r) => ({ ...r, ladderId: r.ladderId! }));
  }

  /** Every ladder a key had, oldest first. */
  async laddersOf(accountId: string, accessKeyId: string): Promise<Ladder[]> {
    return this.engine.db
      .select(ladderColumns)
      .from(notificationLadders)
      .where(and(eq(notificationLadders.accountId, accountId), eq(notificationLadders.accessKeyId, accessKeyId)))
      .orderBy(asc(notificationLadders.id));
  }

  /**
   * Ladders closed by a rotation, deletion or deactivation that no email has reported yet, and that had at least
   * one email (whose recipient is the one to tell).
   */
  async unreportedResolutions(): Promise<UnreportedResolution[]> {
    const last = this.engine.db
      .select({ ladderId: notifications.ladderId, lastSentAt: max(notifications.sentAt).as('last_sent_at') })
      .from(notifications)
      .where(isNotNull(notifications.ladderId))
      .groupBy(notifications.ladderId)
      .as('last_sent');
    const rows = await this.engine.db
      .select({ ...ladderColumns, lastRecipient: notifications.recipient })
      .from(notificationLadders)
      .innerJoin(last, eq(last.ladderId, notificationLadders.id))
      .innerJoin(
        notifications,
        and(eq(notifications.ladderId, notificationLadders.id), eq(notifications.sentAt, last.lastSentAt)),
      )
      .where(
        and(
          isNotNull(notificationLadders.closedAt),
          inArray(notificationLadders.resolution, ['rotated', 'deleted', 'deactivated']),
          isNull(notificationLadders.resolutionReportedAt),
        ),
      )
      .orderBy(asc(notificationLadders.closedAt), asc(notificationLadders.id));
    const seen = new Set<number>();
    return rows
      .filter((r) => !seen.has(r.id) && seen.add(r.id))
      .map((r) => ({ ...r, closedAt: r.closedAt!, resolution: r.resolution! }));
  }

  async markReported(ladderIds: readonly number[], at: Date): Promise<void> {
    for (let i = 0; i < ladderIds.length; i += BATCH) {
      await this.engine.db
        .update(notificationLadders)
        .set({ resolutionReportedAt: at })
        .where(
          and(
            inArray(notificationLadders.id, ladderIds.slice(i, i + BATCH)),
            isNull(notificationLadders.resolutionReportedAt),
          ),
        );
    }
  }

  /** Ladders opened after `since` (all when null) and up to `until`, oldest first: keys newly past the warning age. */
  async openedBetween(since: Date | null, until: Date): Promise<Ladder[]> {
    return this.engine.db
      .select(ladderColumns)
      .from(notificationLadders)
      .where(
        and(
          since ? gt(notificationLadders.openedAt, since) : undefined,
          lte(notificationLadders.openedAt, until),
          eq(notificationLadders.startStage, 'warning'),
        ),
      )
      .orderBy(asc(notificationLadders.openedAt), asc(notificationLadders.id));
  }

  /** Ladders resolved (rotated, deleted, deactivated) after `since` (all when null) and up to `until`. */
  async resolvedBetween(since: Date | null, until: Date): Promise<Ladder[]> {
    return this.engine.db
      .select(ladderColumns)
      .from(notificationLadders)
      .where(
        and(
          since ? gt(notificationLadders.closedAt, since) : isNotNull(notificationLadders.closedAt),
          lte(notificationLadders.closedAt, until),
          inArray(notificationLadders.resolution, ['rotated', 'deleted', 'deactivated']),
        ),
      )
      .orderBy(asc(notificationLadders.closedAt), asc(notificationLadders.id));
  }

  /**
   * The median time from a ladder's first email (its warning; else its opening) to its key's rotation or deletion,
   * over the ladders closed so in (until - days, until].
   */
  async rotationTimes(until: Date, days: number): Promise<RotationTimes> {
    const since = new Date(until.getTime() - days * 86_400_000);
    const first = this.engine.db
      .select({ ladderId: notifications.ladderId, firstSentAt: min(notifications.sentAt).as('first_sent_at') })
      .from(notifications)
      .where(isNotNull(notifications.ladderId))
      .groupBy(notifications.ladderId)
      .as('first_sent');
    const [row] = await this.engine.db
      .select({
        medianDays: sql<
          number | null
        >`percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ${notificationLadders.closedAt} - coalesce(${first.firstSentAt}, ${notificationLadders.openedAt})) / 86400.0)`.mapWith(
          Number,
        ),
        rotations: count(),
      })
      .from(notificationLadders)
      .leftJoin(first, eq(first.ladderId, notificationLadders.id))
      .where(
        and(
          inArray(notificationLadders.resolution, ['rotated', 'deleted']),
          gt(notificationLadders.closedAt, since),
          lte(notificationLadders.closedAt, until),
        ),
      );
    return { medianDays: row?.medianDays ?? null, rotations: Number(row?.rotations ?? 0) };
  }

  /** How many keys stand on each stage of their open ladder: the last stage sent to their owner. */
  async openStageCounts(): Promise<OpenLadderStageCount[]> {
    const latest = this.engine.db
      .selectDistinctOn([notifications.ladderId], { ladderId: notifications.ladderId, stage: notifications.stage })
      .from(notifications)
      .innerJoin(notificationLadders, eq(notificationLadders.id, notifications.ladderId))
      .where(isNull(notificationLadders.closedAt))
      .orderBy(notifications.ladderId, desc(notifications.sentAt), desc(notifications.id))
      .as('latest');
    const rows = await this.engine.db
      .select({ stage: latest.stage, count: count() })
      .from(notificationLadders)
      .leftJoin(latest, eq(latest.ladderId, notificationLadders.id))
      .where(isNull(notificationLadders.closedAt))
      .groupBy(latest.stage);
    const counts = new Map<OpenLadderStageCount['stage'], number>();
    for (const row of rows) {
      const stage = stageKind(row.stage);
      counts.set(stage, (counts.get(stage) ?? 0) + Number(row.count));
    }
    return [...counts].map(([stage, n]) => ({ stage, count: n }));
  }

  async recordDigest(record: DigestRecord): Promise<void> {
    await this.engine.db.insert(notificationDigests).values(record);
  }

  /** When SES last accepted a digest (for any recipient), or null before the first. */
  async lastDigestAt(): Promise<Date | null> {
    const [row] = await this.engine.db.select({ at: max(notificationDigests.sentAt) }).from(notificationDigests);
    return row?.at ?? null;
  }
}

function stageKind(stage: string | null): OpenLadderStageCount['stage'] {
  if (stage === null) {
    return 'unsent';
  }
  if (stage.startsWith('reminder')) {
    return 'reminder';
  }
  if (stage === 'warning' || stage === 'final' || stage === 'expired') {
    return stage;
  }
  throw new Error(`Unknown ladder stage ${stage}`);
}
