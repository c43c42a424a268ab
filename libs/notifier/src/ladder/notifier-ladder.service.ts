import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LadderRepository, type Ladder, type OpenLadder, type RotationTimes } from '@app/store';
import { notifierConfig } from '../config/notifier.config';
import type { ClassifiedKey, DeliveryResult, ResolvedKey } from '../notifier.types';
import { calendarDaysBetween, closuresOf, dueStage, stageRank, type LadderPolicy, type ScannedKey } from './ladder';

export interface LadderSyncInput {
  now: Date;
  /** The instant each account was read: its keys' stages are due against it. */
  readAt: (accountId: string) => Date;
  /** The accounts scanned completely this run: only their ladders may close. */
  okAccounts: ReadonlySet<string>;
  /** Every key the scan saw, inactive ones too (to tell deactivated from deleted). */
  scanned: readonly ScannedKey[];
  /** The keys past the warning age to remind (exempted ones left out). */
  remind: readonly ClassifiedKey[];
}

export interface LadderSync {
  /** The keys whose next stage is due now, with that stage and their ladder. */
  due: ClassifiedKey[];
  opened: number;
  closed: ResolvedKey[];
}

/** What the digest shows as changed since the previous one. */
export interface DigestChanges {
  /** The previous digest; null before the first (nothing to compare with). */
  since: Date | null;
  newlyPastWarning: Array<Pick<Ladder, 'accountId' | 'userName' | 'accessKeyId' | 'openedAt'>>;
  resolved: ResolvedKey[];
  rotation30: RotationTimes;
  rotation90: RotationTimes;
}

export function toResolvedKey(l: Ladder & { lastRecipient?: string }): ResolvedKey {
  return {
    ladderId: l.id,
    accountId: l.accountId,
    userName: l.userName,
    accessKeyId: l.accessKeyId,
    resolution: l.resolution === 'restarted' || l.resolution === null ? 'deleted' : l.resolution,
    rotatedTo: l.rotatedTo,
    closedAt: l.closedAt ?? new Date(0),
    ...(l.lastRecipient === undefined ? {} : { lastRecipient: l.lastRecipient }),
  };
}

/**
 * The notifier's side of the ladder: opens a ladder for each key newly past the warning age, closes those this run's
 * scan resolves, says which stage is due per key, and records what SES accepted. State lives in the store only.
 */
@Injectable()
export class NotifierLadderService {
  private readonly logger = new Logger(NotifierLadderService.name);
  /** Open ladders of the scanned accounts by id, with the last stage recorded (for the run's counts). */
  private readonly lastStage = new Map<number, string>();
  /** Stages recorded this run, by stage. */
  private recorded: Record<string, number> = {};

  constructor(
    private readonly ladders: LadderRepository,
    @Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>,
  ) {}

  get policy(): LadderPolicy {
    return {
      warnAgeDays: this.config.warnAgeDays,
      finalAgeDays: this.config.finalAgeDays,
      expireAgeDays: this.config.expireAgeDays,
      remindEveryDays: this.config.remindEveryDays,
    };
  }

  async sync(input: LadderSyncInput): Promise<LadderSync> {
    this.lastStage.clear();
    this.recorded = {};
    const open = await this.ladders.openLadders([...input.okAccounts]);
    const closures = closuresOf(open, input.scanned, input.okAccounts, this.config.includeInactive);
    await this.ladders.close(
      closures.map((c) => ({
        ladderId: c.ladder.id,
        resolution: c.resolution,
        rotatedTo: c.rotatedTo ?? null,
        closedAt: input.now,
      })),
    );
    const closedIds = new Set(closures.map((c) => c.ladder.id));
    const byKey = new Map<string, OpenLadder>();
    for (const ladder of open) {
      if (!closedIds.has(ladder.id)) {
        byKey.set(`${ladder.accountId}/${ladder.accessKeyId}`, ladder);
      }
    }
    const opened = await this.ladders.open(
      input.remind
        .filter((k) => !byKey.has(`${k.accountId}/${k.accessKeyId}`))
        .map((k) => ({
          accountId: k.accountId,
          accessKeyId: k.accessKeyId,
          userName: k.userName,
          keyCreatedAt: k.createdDate,
          openedAt: input.now,
        })),
    );
    for (const ladder of opened) {
      byKey.set(`${ladder.accountId}/${ladder.accessKeyId}`, { ...ladder, sent: [] });
    }
    const undescribed: Array<{ ladderId: number; userName: string; keyCreatedAt: Date }> = [];
    const due: ClassifiedKey[] = [];
    for (const key of input.remind) {
      const ladder = byKey.get(`${key.accountId}/${key.accessKeyId}`);
      if (!ladder) {
        // Opened by another writer between our read and insert: its stages are judged on the next run.
        continue;
      }
      if (ladder.userName === null || ladder.keyCreatedAt === null) {
        undescribed.push({ ladderId: ladder.id, userName: key.userName, keyCreatedAt: key.createdDate });
      }
      const stage = dueStage(key.createdDate, ladder, input.readAt(key.accountId), this.policy);
      if (stage) {
        due.push({ ...key, stage, ladderId: ladder.id });
      }
    }
    await this.ladders.describeKeys(undescribed);
    for (const ladder of byKey.values()) {
      const last = ladder.sent.reduce((top, s) => (stageRank(s.stage) > stageRank(top) ? s.stage : top), 'none');
      this.lastStage.set(ladder.id, last);
    }
    const closed = closures.map((c) =>
      toResolvedKey({
        ...c.ladder,
        closedAt: input.now,
        resolution: c.resolution,
        rotatedTo: c.rotatedTo ?? null,
      }),
    );
    for (const c of closed) {
      this.logger.log({
        msg: 'A ladder closed: its key was resolved',
        event: 'notifier.ladder-closed',
        accountId: c.accountId,
        accessKeyId: c.accessKeyId,
        resolution: c.resolution,
        ...(c.rotatedTo ? { rotatedTo: c.rotatedTo } : {}),
      });
    }
    return { due, opened: opened.length, closed };
  }

  /** Resolutions no email has told yet, each with the recipient of its ladder's last email. */
  async unreported(): Promise<ResolvedKey[]> {
    return (await this.ladders.unreportedResolutions()).map(toResolvedKey);
  }

  /**
   * What the digest shows as changed since the last one, or null when a digest already went out this UTC day
   * (a second run the same day sends none).
   */
  async digestChanges(now: Date): Promise<DigestChanges | null> {
    const since = await this.ladders.lastDigestAt();
    if (since && calendarDaysBetween(since, now) === 0) {
      return null;
    }
    const [newly, resolved, rotation] = await Promise.all([
      since ? this.ladders.openedBetween(since, now) : Promise.resolve([]),
      since ? this.ladders.resolvedBetween(since, now) : Promise.resolve([]),
      this.rotationTimes(now),
    ]);
    return { since, newlyPastWarning: newly, resolved: resolved.map((l) => toResolvedKey(l)), ...rotation };
  }

  /** The median time from warning to rotation (or deletion) over the last 30 and 90 days. */
  async rotationTimes(now: Date): Promise<Pick<DigestChanges, 'rotation30' | 'rotation90'>> {
    const [rotation30, rotation90] = await Promise.all([
      this.ladders.rotationTimes(now, 30),
      this.ladders.rotationTimes(now, 90),
    ]);
    return { rotation30, rotation90 };
  }

  /**
   * Records what SES accepted (a message id is the proof; the dry-run driver has none, so it records nothing):
   * each stage once per ladder, each resolution reported, each digest. A crash after SES accepted and before this
   * ran means the next run sends that stage again: at most one duplicate. Returns the stages recorded, by stage.
   */
  async record(results: readonly DeliveryResult[], now: Date): Promise<Record<string, number>> {
    for (const result of results) {
      await this.recordDelivery(result, now);
    }
    return this.stagesRecorded();
  }

  /** Records one message as soon as SES accepted it (the job calls it per message, keeping the crash window small). */
  async recordDelivery(result: DeliveryResult, now: Date): Promise<void> {
    const records = result.email.records;
    if (!result.ok || !result.messageId || !records) {
      return;
    }
    const sesMessageId = result.messageId;
    const inserted = await this.ladders.recordStages(
      records.stages.map((s) => ({ ...s, recipient: result.email.to, sesMessageId, sentAt: now })),
    );
    for (const s of inserted) {
      this.recorded[s.stage] = (this.recorded[s.stage] ?? 0) + 1;
      this.lastStage.set(s.ladderId, s.stage);
    }
    await this.ladders.markReported(records.resolvedLadderIds, now);
    if (records.digest) {
      await this.ladders.recordDigest({
        recipient: result.email.to,
        sesMessageId,
        sentAt: now,
        summary: records.digest,
      });
    }
  }

  /** The stages recorded since the run's sync, by stage. */
  stagesRecorded(): Record<string, number> {
    return { ...this.recorded };
  }

  /** The open ladders of the scanned accounts by their last stage sent (`none` before any), after this run. */
  keysByStage(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const stage of this.lastStage.values()) {
      counts[stage] = (counts[stage] ?? 0) + 1;
    }
    return counts;
  }
}
