import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, gte, inArray, lt, max, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { StoreEngine } from '../engine/store-engine';
import { accessKeys, notifications, remediationDecisions, remediationRuns } from '../schema';
import { STORE_ENGINE } from '../store.constants';

export type RemediationRunMode = 'dry-run' | 'enforce';
export type RemediationRunStatus = 'running' | 'complete' | 'refused' | 'stopped' | 'failed';
export type RemediationOutcome = (typeof remediationDecisions.outcome.enumValues)[number];

export interface RemediationDecisionInput {
  runId: number;
  accountId: string;
  userName: string | null;
  accessKeyId: string;
  outcome: RemediationOutcome;
  /** Why, in kebab-case: `expired-past-grace`, `used-recently`, `over-max-per-run`, ... */
  reason: string;
  mode: RemediationRunMode;
  decidedAt: Date;
  detail?: Record<string, unknown> | null;
}

export interface RemediationDecision extends RemediationDecisionInput {
  id: number;
}

/** A key whose ladder reached `expired`, with the final warning SES accepted (if any) and what the inventory knows. */
export interface ExpiredKeyCandidate {
  accountId: string;
  accessKeyId: string;
  expiredSentAt: Date;
  finalSentAt: Date | null;
  /** Who received the final warning (else the expired notice): the owner, or the fallback recipients' first. */
  recipient: string;
  /** From the stored inventory, when a scan recorded the key. */
  userName: string | null;
  createdAt: Date | null;
}

/** The latest of each kind of act this service recorded for one key. */
export interface RemediatedKeyHistory {
  accountId: string;
  accessKeyId: string;
  userName: string | null;
  deactivatedAt: Date | null;
  reactivatedAt: Date | null;
  deletedAt: Date | null;
  notifiedAt: Date | null;
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
      .values(decisions.map((d) => ({ ...d, detail: d.detail ?? null })));
  }

  /** Every key whose `expired` notice was sent, oldest first. */
  async expiredCandidates(): Promise<ExpiredKeyCandidate[]> {
    const rows = await this.engine.db
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
        ),
      )
      .leftJoin(
        accessKeys,
        and(eq(accessKeys.accountId, notifications.accountId), eq(accessKeys.accessKeyId, notifications.accessKeyId)),
      )
      .where(eq(notifications.stage, 'expired'))
      .orderBy(asc(notifications.sentAt), asc(notifications.id));
    return rows.map((r) => ({
      accountId: r.accountId,
      accessKeyId: r.accessKeyId,
      expiredSentAt: r.expiredSentAt,
      finalSentAt: r.finalSentAt,
      recipient: r.finalRecipient ?? r.expiredRecipient,
      userName: r.userName,
      createdAt: r.createdAt,
    }));
  }

  /**
   * What this service did per key: deactivations, reactivations seen and deletions of enforce runs only (a dry run
   * changes nothing), and the owner notices of runs in `noticesOf` mode (a dry run's notice does not stand for the
   * real one).
   */
  async remediatedKeys(noticesOf: RemediationRunMode = 'enforce'): Promise<RemediatedKeyHistory[]> {
    const rows = await this.engine.db
      .select({
        accountId: remediationDecisions.accountId,
        accessKeyId: remediationDecisions.accessKeyId,
        userName: max(remediationDecisions.userName),
        outcome: remediationDecisions.outcome,
        mode: remediationDecisions.mode,
        at: max(remediationDecisions.decidedAt),
      })
      .from(remediationDecisions)
      .where(inArray(remediationDecisions.outcome, ['deactivated', 'reactivated', 'deleted', 'notified']))
      .groupBy(
        remediationDecisions.accountId,
        remediationDecisions.accessKeyId,
        remediationDecisions.outcome,
        remediationDecisions.mode,
      )
      .orderBy(asc(remediationDecisions.accountId), asc(remediationDecisions.accessKeyId));
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
          reactivatedAt: null,
          deletedAt: null,
          notifiedAt: null,
        };
        byKey.set(id, history);
      }
      history.userName ??= row.userName;
      const at = row.at ? new Date(row.at) : null;
      switch (row.outcome) {
        case 'deactivated':
          history.deactivatedAt = at;
          break;
        case 'reactivated':
          history.reactivatedAt = at;
          break;
        case 'deleted':
          history.deletedAt = at;
          break;
        case 'notified':
          history.notifiedAt = at;
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

  async decisionsOfRun(runId: number): Promise<RemediationDecision[]> {
    const rows = await this.engine.db
      .select()
      .from(remediationDecisions)
      .where(eq(remediationDecisions.runId, runId))
      .orderBy(asc(remediationDecisions.id));
    return rows.map((r) => ({ ...r, detail: (r.detail as Record<string, unknown> | null) ?? null }));
  }
}
