import { HOUR_MS } from '../iam.constants';
import type { IamAccessKey, OldAccessKey, ScanQuery } from '../iam.types';

/** The instant before which a key counts as old: a key is reported when its age is at least `hours`. */
export function cutoffFor(now: Date, hours: number): number {
  return now.getTime() - hours * HOUR_MS;
}

export function ageHours(now: Date, created: Date): number {
  return Math.round(((now.getTime() - created.getTime()) / HOUR_MS) * 10) / 10;
}

/** A tenth of an hour: the precision {@link ageHours} states. */
const AGE_STEP_MS = HOUR_MS / 10;

/**
 * The first instant (epoch ms) after `now` at which {@link ageHours} of a key created at `created` differs from
 * its value at `now`: halfway to the next tenth of an hour, where Math.round goes up. Checked against ageHours
 * itself, so floating point can never make it a millisecond early or late.
 */
export function ageHoursChangeAt(now: Date, created: Date): number {
  const nowMs = now.getTime();
  const createdMs = created.getTime();
  const current = ageHours(now, created);
  const tenths = Math.floor((nowMs - createdMs + AGE_STEP_MS / 2) / AGE_STEP_MS);
  let at = createdMs + tenths * AGE_STEP_MS + AGE_STEP_MS / 2;
  while (at > nowMs + 1 && ageHours(new Date(at - 1), created) !== current) {
    at -= 1;
  }
  while (at <= nowMs || ageHours(new Date(at), created) === current) {
    at += 1;
  }
  return at;
}

export function isOldKey(key: IamAccessKey, query: ScanQuery, cutoff: number): boolean {
  return key.createDate.getTime() <= cutoff && (query.includeInactive || key.status === 'Active');
}

export function toOldAccessKey(key: IamAccessKey, now: Date): OldAccessKey {
  return {
    userName: key.userName,
    accessKeyId: key.accessKeyId,
    createdDate: key.createDate,
    status: key.status,
    ageHours: ageHours(now, key.createDate),
    ...(key.lastUse && { lastUse: key.lastUse }),
  };
}

/** Oldest first; ties by user name, then key id, so answers are stable across runs and strategies. */
export function compareOldKeys(a: OldAccessKey, b: OldAccessKey): number {
  return (
    a.createdDate.getTime() - b.createdDate.getTime() ||
    (a.userName < b.userName ? -1 : a.userName > b.userName ? 1 : 0) ||
    (a.accessKeyId < b.accessKeyId ? -1 : a.accessKeyId > b.accessKeyId ? 1 : 0)
  );
}
