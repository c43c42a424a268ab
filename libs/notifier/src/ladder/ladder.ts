import { DAY_MS } from '../notifier.constants';

/** `warning`, `final`, `expired`, then `reminder-1`, `reminder-2`, ... */
export type LadderStage = 'warning' | 'final' | 'expired' | `reminder-${number}`;
export type LadderStartStage = 'warning' | 'final' | 'expired';
export type LadderResolution = 'rotated' | 'deleted' | 'deactivated';

export interface LadderPolicy {
  warnAgeDays: number;
  finalAgeDays: number;
  expireAgeDays: number;
  remindEveryDays: number;
}

/** What the ladder logic needs of a stored ladder. */
export interface LadderView {
  startStage: LadderStartStage;
  openedAt: Date;
  sent: ReadonlyArray<{ stage: string; sentAt: Date }>;
}

const FIXED: readonly LadderStartStage[] = ['warning', 'final', 'expired'];

/** 0 warning, 1 final, 2 expired, 2 + N reminder-N; -1 for anything else. */
export function stageRank(stage: string): number {
  const fixed = FIXED.indexOf(stage as LadderStartStage);
  if (fixed !== -1) {
    return fixed;
  }
  const reminder = /^reminder-([1-9][0-9]*)$/.exec(stage);
  return reminder ? 2 + Number(reminder[1]) : -1;
}

function ageDaysOf(stage: LadderStartStage, policy: LadderPolicy): number {
  switch (stage) {
    case 'warning':
      return policy.warnAgeDays;
    case 'final':
      return policy.finalAgeDays;
    case 'expired':
      return policy.expireAgeDays;
    default: {
      const _exhaustive: never = stage;
      return Number(_exhaustive);
    }
  }
}

/**
 * The instant the ladder's ages count from: the key's creation, or for a ladder restarted at a later stage, the
 * instant that makes that stage due when the ladder opened (the later stages then follow at the usual spacing).
 */
export function ladderAnchor(
  keyCreatedAt: Date,
  ladder: Pick<LadderView, 'startStage' | 'openedAt'>,
  policy: LadderPolicy,
): Date {
  if (ladder.startStage === 'warning') {
    return keyCreatedAt;
  }
  return new Date(ladder.openedAt.getTime() - ageDaysOf(ladder.startStage, policy) * DAY_MS);
}

/** Whole UTC calendar days from `from` to `to`: a run a little earlier in the day than last week's still counts 7. */
export function calendarDaysBetween(from: Date, to: Date): number {
  return Math.floor(to.getTime() / DAY_MS) - Math.floor(from.getTime() / DAY_MS);
}

/**
 * The stage whose email is due now, or null when nothing new is. `warning`, `final` and `expired` fall due at their
 * ages (exact to the millisecond); a key that passed several at once (first seen already expired) gets the highest
 * one only, the ones below are skipped for good. After `expired`, `reminder-N` falls due
 * `remindEveryDays` calendar days after the ladder's latest email. Each stage is due once: once recorded it never is
 * again, so a second run the same day finds nothing due.
 */
export function dueStage(keyCreatedAt: Date, ladder: LadderView, now: Date, policy: LadderPolicy): LadderStage | null {
  const ageMs = now.getTime() - ladderAnchor(keyCreatedAt, ladder, policy).getTime();
  const start = stageRank(ladder.startStage);
  let reached = -1;
  for (const stage of FIXED) {
    if (stageRank(stage) >= start && ageMs >= ageDaysOf(stage, policy) * DAY_MS) {
      reached = stageRank(stage);
    }
  }
  if (reached === -1) {
    return null;
  }
  let sentRank = -1;
  let lastSentAt: Date | undefined;
  for (const s of ladder.sent) {
    sentRank = Math.max(sentRank, stageRank(s.stage));
    if (!lastSentAt || s.sentAt > lastSentAt) {
      lastSentAt = s.sentAt;
    }
  }
  if (reached > sentRank) {
    return FIXED[reached];
  }
  if (sentRank >= 2 && lastSentAt && calendarDaysBetween(lastSentAt, now) >= policy.remindEveryDays) {
    return `reminder-${sentRank - 1}`;
  }
  return null;
}

/** A key as one run's scan saw it. */
export interface ScannedKey {
  accountId: string;
  userName: string;
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createdDate: Date;
}

export interface OpenLadderRef {
  id: number;
  accountId: string;
  accessKeyId: string;
  userName: string | null;
  keyCreatedAt: Date | null;
}

export interface LadderClosure<L extends OpenLadderRef = OpenLadderRef> {
  ladder: L;
  resolution: LadderResolution;
  rotatedTo?: string;
}

/**
 * Which open ladders this run's scan resolves. Only ladders of accounts scanned completely this run are judged (a
 * failed account's keys are unknown, never resolved). Absent from the scan: rotated when its user has a newer key
 * (the newest is named), else deleted. Present but Inactive: deactivated, unless inactive keys are reminded too
 * (NOTIFIER_INCLUDE_INACTIVE), when it stays open.
 */
export function closuresOf<L extends OpenLadderRef>(
  open: readonly L[],
  scanned: readonly ScannedKey[],
  okAccounts: ReadonlySet<string>,
  includeInactive: boolean,
): Array<LadderClosure<L>> {
  const byKey = new Map<string, ScannedKey>();
  const byUser = new Map<string, ScannedKey[]>();
  for (const key of scanned) {
    byKey.set(`${key.accountId}/${key.accessKeyId}`, key);
    const user = `${key.accountId}/${key.userName}`;
    byUser.set(user, [...(byUser.get(user) ?? []), key]);
  }
  const closures: Array<LadderClosure<L>> = [];
  for (const ladder of open) {
    if (!okAccounts.has(ladder.accountId)) {
      continue;
    }
    const key = byKey.get(`${ladder.accountId}/${ladder.accessKeyId}`);
    if (key) {
      if (key.status === 'Inactive' && !includeInactive) {
        closures.push({ ladder, resolution: 'deactivated' });
      }
      continue;
    }
    const newer = (ladder.userName ? (byUser.get(`${ladder.accountId}/${ladder.userName}`) ?? []) : [])
      .filter((k) => !ladder.keyCreatedAt || k.createdDate > ladder.keyCreatedAt)
      .sort((a, b) => b.createdDate.getTime() - a.createdDate.getTime());
    closures.push(
      newer.length > 0
        ? { ladder, resolution: 'rotated', rotatedTo: newer[0].accessKeyId }
        : { ladder, resolution: 'deleted' },
    );
  }
  return closures;
}
