import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ExemptionsService } from '@app/findings';
import { notifierConfig, type EmailDriver, type OutgoingEmail } from '@app/notifier';
import {
  LadderRepository,
  LeaseRepository,
  RemediationRepository,
  type ExpiredKeyCandidate,
  type RemediatedKeyHistory,
  type RemediationDecisionInput,
} from '@app/store';
import type { RemediationIamClients } from '../client/remediation-iam.client';
import { remediationConfig } from '../config/remediation.config';
import {
  REMEDIATION_CLOCK,
  REMEDIATION_IAM_CLIENTS,
  REMEDIATION_KILL_SWITCH,
  REMEDIATION_MAILER,
  type RemediationClock,
} from '../remediation.constants';
import { renderOwnerNotice, renderRunDigest } from '../render/remediation-emails';
import { insideWindow } from '../window/remediation-window';
import type { KillSwitch, KillSwitchEngaged } from './kill-switch';
import type {
  ActiveMode,
  Decision,
  PendingAction,
  RemediationPlan,
  RemediationRunSummary,
  RunStatus,
} from './remediation.types';
import { summarize } from './run-summary';

const DAY_MS = 86_400_000;
/** One run at a time across processes (a manual job beside the CronJob's); as long as the job may run. */
export const REMEDIATION_LEASE = 'remediation';
const LEASE_MS = 30 * 60_000;
const HOUR_MS = 3_600_000;

const keyOf = (k: { accountId: string; accessKeyId: string }) => `${k.accountId}/${k.accessKeyId}`;

/** A person set it Active again after our latest deactivation (seen and recorded by a run). */
const reactivatedSince = (h: RemediatedKeyHistory) =>
  !!h.deactivatedAt && !!h.reactivatedAt && h.reactivatedAt >= h.deactivatedAt;

function errorName(err: unknown): string {
  return (err as { name?: string } | null)?.name ?? 'Error';
}

/**
 * Deactivates keys past expiry once their owner was warned, and only then: every guard is checked and recorded
 * (remediation_decisions), the only write is UpdateAccessKey to Inactive by key id, and deletion (when
 * configured) touches only keys this service deactivated that stayed Inactive. `run()` is `plan()` then
 * `execute()`; the two are apart so the live re-check right before each action is what decides.
 */
@Injectable()
export class RemediationJob {
  private readonly logger = new Logger(RemediationJob.name);

  constructor(
    @Inject(remediationConfig.KEY) private readonly config: ConfigType<typeof remediationConfig>,
    @Inject(notifierConfig.KEY) private readonly notifier: ConfigType<typeof notifierConfig>,
    private readonly store: RemediationRepository,
    private readonly ladders: LadderRepository,
    private readonly leases: LeaseRepository,
    private readonly exemptions: ExemptionsService,
    @Inject(REMEDIATION_IAM_CLIENTS) private readonly iam: RemediationIamClients,
    @Inject(REMEDIATION_KILL_SWITCH) private readonly killSwitch: KillSwitch,
    @Inject(REMEDIATION_MAILER) private readonly mailer: EmailDriver,
    @Inject(REMEDIATION_CLOCK) private readonly clock: RemediationClock,
  ) {}

  async run(): Promise<RemediationRunSummary> {
    const { mode } = this.config;
    if (mode === 'off') {
      const summary = summarize(null, 'off', 'off', [], 0, 0);
      this.logger.log({ msg: 'Remediation is off (REMEDIATION_MODE=off): nothing read, nothing done', ...summary });
      return summary;
    }
    const holder = `${hostname()}:${process.pid}:${randomUUID()}`;
    if (!(await this.leases.acquire(REMEDIATION_LEASE, holder, LEASE_MS, this.clock()))) {
      const summary = summarize(null, mode, 'busy', [], 0, 0);
      this.logger.warn({ msg: 'Another remediation run holds the lease: this one does nothing', ...summary });
      return summary;
    }
    try {
      const engaged = this.killSwitch.check();
      if (engaged) {
        return await this.notStarted(mode, engaged);
      }
      const plan = await this.plan();
      return plan ? await this.execute(plan) : summarize(null, mode, 'off', [], 0, 0);
    } finally {
      await this.leases.release(REMEDIATION_LEASE, holder);
    }
  }

  /** The kill switch was engaged at the start: nothing read, decided or sent; the run is stored `stopped`, with why. */
  private async notStarted(mode: ActiveMode, engaged: KillSwitchEngaged): Promise<RemediationRunSummary> {
    const now = this.clock();
    const runId = await this.store.startRun(mode, now);
    const summary = summarize(runId, mode, 'stopped', [], 0, 0, engaged);
    await this.store.finishRun(runId, 'stopped', now, summary);
    this.logger.warn({
      msg: `Kill switch engaged (REMEDIATION_KILL_SWITCH_FILE): remediation run ${runId} does not start`,
      ...summary,
    });
    return summary;
  }

  /** Decides what to do; records every decision that needs no action. null when REMEDIATION_MODE=off. */
  async plan(): Promise<RemediationPlan | null> {
    const { mode } = this.config;
    if (mode === 'off') {
      return null;
    }
    const now = this.clock();
    const runId = await this.store.startRun(mode, now);
    const plan: RemediationPlan = { runId, mode, decidedAt: now, decisions: [], actions: [], notices: [] };
    const history = new Map((await this.store.remediatedKeys(mode)).map((h) => [keyOf(h), h]));
    for (const h of history.values()) {
      if (h.deactivatedAt && !h.deletedAt && !reactivatedSince(h)) {
        await this.guard(plan, h, () => this.afterDeactivation(plan, h, now));
      }
    }
    for (const candidate of await this.store.expiredCandidates()) {
      const h = history.get(keyOf(candidate));
      // Deactivated by us and not set Active since: the follow-up above owns it. Reactivated: only a later ladder
      // (the one the restart at `final` opened) may act again, never the ladder that already deactivated it.
      const ours = h?.deactivatedAt && (!reactivatedSince(h) || h.deactivatedLadderId === candidate.ladderId);
      if (!ours) {
        await this.guard(plan, candidate, () => this.decide(plan, candidate, h, now));
      }
    }
    this.applyRunLimits(plan, now);
    await this.store.record(plan.decisions.map((d) => this.stored(plan, d)));
    return plan;
  }

  /** Takes the planned actions, each re-checked live right before; then the emails and the run's summary. */
  async execute(plan: RemediationPlan): Promise<RemediationRunSummary> {
    const taken: Decision[] = [];
    let status: RunStatus = plan.refusedBy ? 'refused' : 'complete';
    let stopped: (KillSwitchEngaged & { left: number }) | undefined;
    for (const [i, action] of plan.actions.entries()) {
      const engaged = this.killSwitch.check();
      if (engaged) {
        status = 'stopped';
        const rest = plan.actions.slice(i).map((a) => this.decision(a, 'refused', 'kill-switch', this.clock()));
        await this.store.record(rest.map((d) => this.stored(plan, d)));
        taken.push(...rest);
        stopped = { ...engaged, left: rest.length };
        this.logger.warn({
          msg: 'Kill switch engaged: the run stops here',
          event: 'remediation.stopped',
          left: rest.length,
          reason: engaged.reason,
        });
        break;
      }
      const decision = await this.act(plan.mode, action);
      await this.store.record([this.stored(plan, decision)]);
      taken.push(decision);
      if (decision.outcome === 'deactivated' || decision.outcome === 'would-deactivate') {
        if (action.recipient) {
          plan.notices.push({ ...action, kind: 'after', to: action.recipient, at: decision.decidedAt });
        }
      }
    }
    const all = [...plan.decisions, ...taken];
    const emails: OutgoingEmail[] = plan.notices.map((n) => renderOwnerNotice(n, plan.mode));
    const reported = all.filter((d) => d.outcome !== 'spared' || d.reason !== 'in-grace-period');
    if (reported.length > 0) {
      const alert = plan.refusedBy === 'over-max-per-run' ? this.overMaxAlert(plan) : undefined;
      emails.push(
        ...this.notifier.fallbackRecipients.map((to) =>
          renderRunDigest(to, plan.runId, plan.mode, reported, alert, stopped),
        ),
      );
    }
    const { sent, failed } = await this.send(emails);
    const summary = summarize(plan.runId, plan.mode, status, all, sent, failed, stopped && { reason: stopped.reason });
    await this.store.finishRun(plan.runId, status, this.clock(), summary);
    this.logger.log({ msg: `Remediation run ${plan.runId} ${status}`, ...summary });
    return summary;
  }

  private overMaxAlert(plan: RemediationPlan): string {
    const wanted = plan.decisions.filter((d) => d.reason === 'over-max-per-run').length;
    return `${wanted} actions wanted, more than REMEDIATION_MAX_PER_RUN=${this.config.maxPerRun}`;
  }

  /** One key's failure (IAM refused a read, the account cannot be entered) is recorded and the run goes on. */
  private async guard(
    plan: RemediationPlan,
    key: { accountId: string; accessKeyId: string; userName: string | null; ladderId?: number | null },
    work: () => Promise<void>,
  ): Promise<void> {
    try {
      await work();
    } catch (err) {
      plan.decisions.push({
        accountId: key.accountId,
        userName: key.userName,
        accessKeyId: key.accessKeyId,
        ladderId: key.ladderId ?? null,
        outcome: 'failed',
        reason: 'check-failed',
        decidedAt: this.clock(),
        detail: { error: errorName(err), message: err instanceof Error ? err.message : String(err) },
      });
    }
  }

  private async decide(
    plan: RemediationPlan,
    c: ExpiredKeyCandidate,
    history: RemediatedKeyHistory | undefined,
    now: Date,
  ): Promise<void> {
    const decide = (outcome: Decision['outcome'], reason: string, userName: string | null, detail?: object) =>
      plan.decisions.push({
        accountId: c.accountId,
        accessKeyId: c.accessKeyId,
        ladderId: c.ladderId,
        userName,
        outcome,
        reason,
        decidedAt: now,
        detail: { ...detail },
      });
    if (!this.config.accounts.has(c.accountId)) {
      return void decide('refused', 'account-not-allowed', c.userName);
    }
    if (!c.finalSentAt) {
      return void decide('spared', 'final-warning-not-delivered', c.userName);
    }
    const client = await this.iam.forAccount(c.accountId);
    const userName = c.userName ?? (await client.lastUse(c.accessKeyId))?.userName ?? null;
    if (!userName) {
      return void decide('spared', 'key-gone', null);
    }
    // The file's exemptions and the user's tags (read live, so a tag added today counts), as the findings define them.
    const identity = { accountId: c.accountId, userName, accessKeyId: c.accessKeyId };
    const fromTags = this.exemptions.fromTags({ ...identity, tags: await client.userTags(userName), now });
    const exemption = this.exemptions.resolve(identity, ['old'], now, fromTags.exemption);
    if (exemption.exempted) {
      return void decide('spared', 'exempted', userName, {
        exemption: exemption.exemption?.reason,
        expiresAt: exemption.exemption?.expiresAt.toISOString(),
      });
    }
    const deactivateOn = new Date(c.finalSentAt.getTime() + this.config.graceDays * DAY_MS);
    if (now < deactivateOn) {
      decide('spared', 'in-grace-period', userName, { deactivateOn: deactivateOn.toISOString() });
      if (!history?.noticeLadders.includes(c.ladderId)) {
        decide('notified', 'before-deactivation', userName, {
          deactivateOn: deactivateOn.toISOString(),
          to: c.recipient,
        });
        plan.notices.push({
          kind: 'before',
          to: c.recipient,
          accountId: c.accountId,
          userName,
          accessKeyId: c.accessKeyId,
          at: deactivateOn,
        });
      }
      return;
    }
    const live = (await client.listAccessKeys(userName)).find((k) => k.accessKeyId === c.accessKeyId);
    if (!live) {
      return void decide('spared', 'key-gone', userName);
    }
    if (live.status !== 'Active') {
      return void decide('spared', 'not-active', userName);
    }
    if (c.createdAt && c.createdAt.getTime() !== live.createdAt.getTime()) {
      return void decide('spared', 'key-changed', userName, {
        stored: c.createdAt.toISOString(),
        live: live.createdAt.toISOString(),
      });
    }
    plan.actions.push({
      kind: 'deactivate',
      accountId: c.accountId,
      userName,
      accessKeyId: c.accessKeyId,
      ladderId: c.ladderId,
      expectedCreatedAt: live.createdAt,
      recipient: c.recipient,
    });
  }

  /** A key we deactivated: set Active again by a person (left alone, reported once), or due for deletion. */
  private async afterDeactivation(plan: RemediationPlan, h: RemediatedKeyHistory, now: Date): Promise<void> {
    const deactivatedAt = h.deactivatedAt as Date;
    if (!h.userName || !this.config.accounts.has(h.accountId)) {
      return;
    }
    const client = await this.iam.forAccount(h.accountId);
    const live = (await client.listAccessKeys(h.userName)).find((k) => k.accessKeyId === h.accessKeyId);
    if (!live) {
      return;
    }
    if (live.status === 'Active') {
      // Never again by the ladder that deactivated it: that ladder closes, and a new one starts at `final`, so the
      // owner is warned afresh and any later action waits for that warning and the grace period again.
      const ladderId = await this.ladders.restartAt(h.accountId, h.accessKeyId, 'final', now);
      plan.decisions.push({
        accountId: h.accountId,
        userName: h.userName,
        accessKeyId: h.accessKeyId,
        ladderId: h.deactivatedLadderId,
        outcome: 'reactivated',
        reason: 'reactivated-after-deactivation',
        decidedAt: now,
        detail: { deactivatedAt: deactivatedAt.toISOString(), restartedLadderId: ladderId, restartedAt: 'final' },
      });
      return;
    }
    const { deleteAfterDays } = this.config;
    // Only keys never reactivated: one a person needed once is not ours to delete.
    const due = deleteAfterDays !== undefined && now.getTime() >= deactivatedAt.getTime() + deleteAfterDays * DAY_MS;
    if (due && !h.reactivatedAt) {
      plan.actions.push({
        kind: 'delete',
        accountId: h.accountId,
        userName: h.userName,
        accessKeyId: h.accessKeyId,
        ladderId: h.deactivatedLadderId,
        expectedCreatedAt: live.createdAt,
        recipient: null,
      });
    }
  }

  /** Outside the window, or more actions than REMEDIATION_MAX_PER_RUN: none is taken, each is recorded refused. */
  private applyRunLimits(plan: RemediationPlan, now: Date): void {
    if (plan.actions.length === 0) {
      return;
    }
    if (!insideWindow(this.config.window, now)) {
      plan.refusedBy = 'outside-window';
    } else if (plan.actions.length > this.config.maxPerRun) {
      plan.refusedBy = 'over-max-per-run';
    } else {
      return;
    }
    const reason = plan.refusedBy;
    plan.decisions.push(
      ...plan.actions.map((a) =>
        this.decision(
          a,
          'refused',
          reason,
          now,
          reason === 'outside-window'
            ? { window: this.config.window.text }
            : { maxPerRun: this.config.maxPerRun, wanted: plan.actions.length },
        ),
      ),
    );
    plan.actions = [];
  }

  private async act(mode: ActiveMode, action: PendingAction): Promise<Decision> {
    const now = this.clock();
    try {
      const client = await this.iam.forAccount(action.accountId);
      const live = (await client.listAccessKeys(action.userName)).find((k) => k.accessKeyId === action.accessKeyId);
      if (!live) {
        return this.decision(action, 'spared', 'key-gone', now);
      }
      if (live.createdAt.getTime() !== action.expectedCreatedAt.getTime()) {
        return this.decision(action, 'spared', 'key-changed', now);
      }
      const wanted = action.kind === 'deactivate' ? 'Active' : 'Inactive';
      if (live.status !== wanted) {
        return this.decision(
          action,
          'spared',
          action.kind === 'deactivate' ? 'not-active' : 'reactivated-since-decision',
          now,
        );
      }
      if (action.kind === 'delete') {
        if (mode === 'dry-run') {
          return this.decision(action, 'would-delete', 'inactive-since-deactivation', now);
        }
        await client.delete(action.userName, action.accessKeyId);
        return this.decision(action, 'deleted', 'inactive-since-deactivation', this.clock(), {
          deleteAfterDays: this.config.deleteAfterDays,
        });
      }
      const use = await client.lastUse(action.accessKeyId);
      if (!use) {
        return this.decision(action, 'spared', 'key-gone', now);
      }
      const lastUsedAt = use.lastUsedAt?.toISOString() ?? null;
      const spareHours = this.config.spareUsedWithinHours;
      if (
        spareHours !== undefined &&
        use.lastUsedAt &&
        now.getTime() - use.lastUsedAt.getTime() < spareHours * HOUR_MS
      ) {
        return this.decision(action, 'spared', 'used-recently', now, { lastUsedAt, spareUsedWithinHours: spareHours });
      }
      if (mode === 'dry-run') {
        return this.decision(action, 'would-deactivate', 'expired-past-grace', now, { lastUsedAt });
      }
      await client.deactivate(action.userName, action.accessKeyId);
      return this.decision(action, 'deactivated', 'expired-past-grace', this.clock(), {
        lastUsedAt,
        createdAt: live.createdAt.toISOString(),
      });
    } catch (err) {
      return this.decision(action, 'failed', `${action.kind}-failed`, this.clock(), { error: errorName(err) });
    }
  }

  private decision(
    action: PendingAction,
    outcome: Decision['outcome'],
    reason: string,
    at: Date,
    detail?: object,
  ): Decision {
    return {
      accountId: action.accountId,
      userName: action.userName,
      accessKeyId: action.accessKeyId,
      ladderId: action.ladderId,
      outcome,
      reason,
      decidedAt: at,
      detail: detail ? { ...detail } : null,
    };
  }

  private stored(plan: RemediationPlan, d: Decision): RemediationDecisionInput {
    return {
      runId: plan.runId,
      mode: plan.mode,
      accountId: d.accountId,
      userName: d.userName,
      accessKeyId: d.accessKeyId,
      ladderId: d.ladderId ?? null,
      outcome: d.outcome,
      reason: d.reason,
      decidedAt: d.decidedAt,
      detail: d.detail && Object.keys(d.detail).length > 0 ? d.detail : null,
    };
  }

  private async send(emails: OutgoingEmail[]): Promise<{ sent: number; failed: number }> {
    let sent = 0;
    let failed = 0;
    for (const email of emails) {
      try {
        await this.mailer.deliver(email);
        sent++;
      } catch (err) {
        failed++;
        this.logger.error({
          msg: 'A remediation email could not be sent',
          event: 'remediation.send-failed',
          kind: email.kind,
          error: errorName(err),
        });
      }
    }
    return { sent, failed };
  }
}
