import { Inject, Injectable } from '@nestjs/common';
import { and, asc, count, desc, eq, gte, inArray, isNull, lt, max, ne, notExists, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { StoreEngine } from '../engine/store-engine';
import { accessKeys, notificationLadders, notifications, remediationDecisions, remediationRuns } from '../schema';
import { STORE_ENGINE } from '../store.constants';

export type RemediationRunMode = 'dry-run' | 'enforce';
export type RemediationRunStatus = 'running' | 'complete' | 'refused' | 'stopped' | 'failed';
export type RemediationOutcome = (typeof remediationDecisions.outcome.enumValues)[number];
/** Every outcome a decision may have, as the schema declares them. */
export const REMEDIATION_OUTCOMES: readonly RemediationOutcome[] = remediationDecisions.outcome.enumValues;

export interface RemediationDecisionInput {
  runId: number;
  accountId: string;
  userName: string | null;
  accessKeyId: string;
  /** The notifier's ladder the decision was taken on; null for keys warned before ladders existed. */
  ladderId?: number | null;
  outcome: RemediationOutcome;
  /** Why, in kebab-case: `expired-past-grace`, `used-recently`, `over-max-per-run`, ... */
  reason: string;
  mode: RemediationRunMode;
  decidedAt: Date;
  detail?: Record<string, unknown> | null;
}

export interface RemediationDecision extends RemediationDecisionInput {
  id: number;
  ladderId: number | null;
}

/**
 * A key whose ladder reached `expired`: an open ladder with its `expired` stage sent, or (keys warned before
 * ladders existed) a key with no ladder and a legacy `expired` row. With the final warning SES accepted on the same
 * ladder, if any.
 */
export interface ExpiredKeyCandidate {
  accountId: string;
  accessKeyId: string;
  ladderId: number | null;
  expiredSentAt: Date;
  finalSentAt: Date | null;
  /** Who received the final warning (else the expired notice): the owner, or the fallback recipients' first. */
  recipient: string;
  /** From the ladder, else the stored inventory. */
  userName: string | null;
  createdAt: Date | null;
}

/** What this service did to one key, across its ladders. */
export interface RemediatedKeyHistory {
  accountId: string;
  accessKeyId: string;
  userName: string | null;
  /** The latest deactivation (enforce runs only) and the ladder it was taken on. */
  deactivatedAt: Date | null;
  deactivatedLadderId: number | null;
  /** The latest time a person was found to have set the key Active again after we deactivated it. */
  reactivatedAt: Date | null;
  deletedAt: Date | null;
  /** Ladders (null: the legacy rows) whose owner was already told "will be deactivated on", in the asked mode. */
  noticeLadders: Array<number | null>;
}

export interface RemediationDecisionFilter {
  accountId?: string;
  userName?: string;
  accessKeyId?: string;
  outcome?: RemediationOutcome;
  since?: Date;
  until?: Date;
  /** Decisions with an id below this one (the previous page's last). */
  beforeId?: number;
  limit: number;
}

/** A run that ended, as the metrics show it. */
export interface FinishedRemediationRun {
  runId: number;
  mode: RemediationRunMode;
  status: Exclude<RemediationRunStatus, 'running'>;
  startedAt: Date;
  finishedAt: Date;
}

export interface RemediationDecisionCount {
  mode: RemediationRunMode;
  outcome: RemediationOutcome;
  reason: string;
  count: number;
}

/** What the API's /metrics shows of remediation, read in one go at scrape time. */
export interface RemediationMetricsSnapshot {
  /** The latest finished run of each mode (none for a mode never run). */
  latestRuns: FinishedRemediationRun[];
  /** The decisions of those runs, by mode, outcome and reason. */
  latestRunDecisions: RemediationDecisionCount[];
  /** Decisions taken since the given instant, whatever their run, by mode, outcome and reason. */
  decisionsSince: RemediationDecisionCount[];
}

const finalWarning = alias(notifications, 'final_warning');

@Injectable()
export class RemediationRepository {
  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  async startRun(mode: RemediationRunMode, startedAt: Date): Promise<number> {
    const [row] = await this.engine.db
      .insert(remediationRuns)
      .values({ mode, startedAt })
      .returning({ id: remediationRuns.id });
    return row.id;
  }

  async finishRun(
    id: number,
    status: Exclude<RemediationRunStatus, 'running'>,
    finishedAt: Date,
    summary: unknown,
  ): Promise<void> {
    await this.engine.db.update(remediationRuns).set({ status, finishedAt, summary }).where(eq(remediationRuns.id, id));
  }

  async record(decisions: readonly RemediationDecisionInput[]): Promise<void> {
    if (decisions.length === 0) {
      return;
    }
    await this.engine.db
      .insert(remediationDecisions)
      .values(decisions.map((d) => ({ ...d, ladderId: d.ladderId ?? null, detail: d.detail ?? null })));
  }

  /** Keys whose ladder reached `expired`, oldest expiry first. */
  async expiredCandidates(): Promise<ExpiredKeyCandidate[]> {
    const expired = alias(notifications, 'expired_notice');
    const laddered = await this.engine.db
      .select({
        ladderId: notificationLadders.id,
        accountId: notificationLadders.accountId,
        accessKeyId: notificationLadders.accessKeyId,
        ladderUserName: notificationLadders.userName,
        ladderCreatedAt: notificationLadders.keyCreatedAt,
        expiredSentAt: expired.sentAt,
        expiredRecipient: expired.recipient,
        finalSentAt: finalWarning.sentAt,
        finalRecipient: finalWarning.recipient,
        userName: accessKeys.userName,
        createdAt: accessKeys.createdAt,
      })
      .from(notificationLadders)
      .innerJoin(expired, and(eq(expired.ladderId, notificationLadders.id), eq(expired.stage, 'expired')))
      .leftJoin(finalWarning, and(eq(finalWarning.ladderId, notificationLadders.id), eq(finalWarning.stage, 'final')))
      .leftJoin(
        accessKeys,
        and(
          eq(accessKeys.accountId, notificationLadders.accountId),
          eq(accessKeys.accessKeyId, notificationLadders.accessKeyId),
        ),
      )
      .where(isNull(notificationLadders.closedAt));
    const hasLadder = this.engine.db
      .select({ id: notificationLadders.id })
      .from(notificationLadders)
      .where(
        and(
          eq(notificationLadders.accountId, notifications.accountId),
          eq(notificationLadders.accessKeyId, notifications.accessKeyId),
        ),
      );
    const legacy = await this.engine.db
      .select({
        accountId: notifications.accountId,
        accessKeyId: notifications.accessKeyId,
        expiredSentAt: notifications.sentAt,
        expiredRecipient: notifications.recipient,
        finalSentAt: finalWarning.sentAt,
        finalRecipient: finalWarning.recipient,
        userName: accessKeys.userName,
        createdAt: accessKeys.createdAt,
      })
      .from(notifications)
      .leftJoin(
        finalWarning,
        and(
          eq(finalWarning.accountId, notifications.accountId),
          eq(finalWarning.accessKeyId, notifications.accessKeyId),
          eq(finalWarning.stage, 'final'),
          isNull(finalWarning.ladderId),
        ),
      )
      .leftJoin(
        accessKeys,
        and(eq(accessKeys.accountId, notifications.accountId), eq(accessKeys.accessKeyId, notifications.accessKeyId)),
      )
      .where(and(eq(notifications.stage, 'expired'), isNull(notifications.ladderId), notExists(hasLadder)));
    const candidates: ExpiredKeyCandidate[] = [
      ...laddered.map((r) => ({
        accountId: r.accountId,
        accessKeyId: r.accessKeyId,
        ladderId: r.ladderId,
        expiredSentAt: r.expiredSentAt,
        finalSentAt: r.finalSentAt,
        recipient: r.finalRecipient ?? r.expiredRecipient,
        userName: r.ladderUserName ?? r.userName,
        createdAt: r.ladderCreatedAt ?? r.createdAt,
      })),
      ...legacy.map((r) => ({
        accountId: r.accountId,
        accessKeyId: r.accessKeyId,
        ladderId: null,
        expiredSentAt: r.expiredSentAt,
        finalSentAt: r.finalSentAt,
        recipient: r.finalRecipient ?? r.expiredRecipient,
        userName: r.userName,
        createdAt: r.createdAt,
      })),
    ];
    return candidates.sort(
      (a, b) =>
        a.expiredSentAt.getTime() - b.expiredSentAt.getTime() ||
        a.accountId.localeCompare(b.accountId) ||
        a.accessKeyId.localeCompare(b.accessKeyId),
    );
  }

  /**
   * What this service did per key: deactivations, reactivations seen and deletions of enforce runs only (a dry run
   * changes nothing), and the owner notices of runs in `noticesOf` mode (a dry run's notice does not stand for the
   * real one).
   */
  async remediatedKeys(noticesOf: RemediationRunMode = 'enforce'): Promise<RemediatedKeyHistory[]> {
    const d = remediationDecisions;
    const rows = await this.engine.db
      .select({
        accountId: d.accountId,
        accessKeyId: d.accessKeyId,
        userName: max(d.userName),
        outcome: d.outcome,
        mode: d.mode,
        ladderId: d.ladderId,
        at: max(d.decidedAt),
      })
      .from(d)
      .where(inArray(d.outcome, ['deactivated', 'reactivated', 'deleted', 'notified']))
      .groupBy(d.accountId, d.accessKeyId, d.outcome, d.mode, d.ladderId)
      .orderBy(asc(d.accountId), asc(d.accessKeyId));
    const byKey = new Map<string, RemediatedKeyHistory>();
    for (const row of rows) {
      const counts = row.outcome === 'notified' ? row.mode === noticesOf : row.mode === 'enforce';
      if (!counts) {
        continue;
      }
      const id = `${row.accountId}/${row.accessKeyId}`;
      let history = byKey.get(id);
      if (!history) {
        history = {
          accountId: row.accountId,
          accessKeyId: row.accessKeyId,
          userName: null,
          deactivatedAt: null,
          deactivatedLadderId: null,
          reactivatedAt: null,
          deletedAt: null,
          noticeLadders: [],
        };
        byKey.set(id, history);
      }
      history.userName ??= row.userName;
      const at = row.at ? new Date(row.at) : null;
      const later = (current: Date | null) => at !== null && (current === null || at > current);
      switch (row.outcome) {
        case 'deactivated':
          if (later(history.deactivatedAt)) {
            history.deactivatedAt = at;
            history.deactivatedLadderId = row.ladderId;
          }
          break;
        case 'reactivated':
          if (later(history.reactivatedAt)) {
            history.reactivatedAt = at;
          }
          break;
        case 'deleted':
          if (later(history.deletedAt)) {
            history.deletedAt = at;
          }
          break;
        case 'notified':
          history.noticeLadders.push(row.ladderId);
          break;
        case 'would-deactivate':
        case 'would-delete':
        case 'spared':
        case 'refused':
        case 'failed':
          break;
      }
    }
    return [...byKey.values()];
  }

  /** Newest first, by id: a page ends where the next begins (`beforeId`). */
  async list(filter: RemediationDecisionFilter): Promise<RemediationDecision[]> {
    const where: SQL[] = [];
    if (filter.accountId !== undefined) {
      where.push(eq(remediationDecisions.accountId, filter.accountId));
    }
    if (filter.userName !== undefined) {
      where.push(eq(remediationDecisions.userName, filter.userName));
    }
    if (filter.accessKeyId !== undefined) {
      where.push(eq(remediationDecisions.accessKeyId, filter.accessKeyId));
    }
    if (filter.outcome !== undefined) {
      where.push(eq(remediationDecisions.outcome, filter.outcome));
    }
    if (filter.since !== undefined) {
      where.push(gte(remediationDecisions.decidedAt, filter.since));
    }
    if (filter.until !== undefined) {
      where.push(lt(remediationDecisions.decidedAt, filter.until));
    }
    if (filter.beforeId !== undefined) {
      where.push(lt(remediationDecisions.id, filter.beforeId));
    }
    const rows = await this.engine.db
      .select()
      .from(remediationDecisions)
      .where(where.length > 0 ? and(...where) : undefined)
      .orderBy(desc(remediationDecisions.id))
      .limit(filter.limit);
    return rows.map((r) => ({ ...r, detail: (r.detail as Record<string, unknown> | null) ?? null }));
  }

  /** The latest run of each mode that ended (a run still `running`, or one whose process died, is not one). */
  async latestRuns(): Promise<FinishedRemediationRun[]> {
    const r = remediationRuns;
    const rows = await this.engine.db
      .selectDistinctOn([r.mode], {
        runId: r.id,
        mode: r.mode,
        status: r.status,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
      })
      .from(r)
      .where(ne(r.status, 'running'))
      .orderBy(asc(r.mode), desc(r.id));
    return rows.map((row) => ({
      ...row,
      status: row.status as FinishedRemediationRun['status'],
      // The table's CHECK: a run that is not running has finished_at.
      finishedAt: row.finishedAt as Date,
    }));
  }

  /** Decisions by mode, outcome and reason: of the given runs, or taken since an instant. */
  async decisionCounts(filter: { runIds: readonly number[] } | { since: Date }): Promise<RemediationDecisionCount[]> {
    const d = remediationDecisions;
    if ('runIds' in filter && filter.runIds.length === 0) {
      return [];
    }
    return this.engine.db
      .select({ mode: d.mode, outcome: d.outcome, reason: d.reason, count: count() })
      .from(d)
      .where('runIds' in filter ? inArray(d.runId, [...filter.runIds]) : gte(d.decidedAt, filter.since))
      .groupBy(d.mode, d.outcome, d.reason)
      .orderBy(asc(d.mode), asc(d.outcome), asc(d.reason));
  }

  /** Everything the metrics show, in three small reads (an index on decided_at and on run_id serves them). */
  async metricsSnapshot(since: Date): Promise<RemediationMetricsSnapshot> {
    const latestRuns = await this.latestRuns();
    return {
      latestRuns,
      latestRunDecisions: await this.decisionCounts({ runIds: latestRuns.map((r) => r.runId) }),
      decisionsSince: await this.decisionCounts({ since }),
    };
  }

  async decisionsOfRun(runId: number): Promise<RemediationDecision[]> {
    const rows = await this.engine.db
      .select()
      .from(remediationDecisions)
      .where(eq(remediationDecisions.runId, runId))
      .orderBy(asc(remediationDecisions.id));
    return rows.map((r) => ({ ...r, detail: (r.detail as Record<string, unknown> | null) ?? null }));
  }
}
