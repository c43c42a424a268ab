import type { AccountAccessKey } from '@app/iam';
import { DAY_MS } from '../notifier.constants';
import type { ClassifiedKey, KeyState } from '../notifier.types';

export interface AgePolicy {
  warnAgeDays: number;
  expireAgeDays: number;
}

export function expiryOf(createdDate: Date, policy: AgePolicy): Date {
  return new Date(createdDate.getTime() + policy.expireAgeDays * DAY_MS);
}

/** Null while the key is younger than the warning age; exact to the millisecond at both boundaries. */
export function stateOf(ageMs: number, policy: AgePolicy): KeyState | null {
  if (ageMs >= policy.expireAgeDays * DAY_MS) {
    return 'expired';
  }
  if (ageMs >= policy.warnAgeDays * DAY_MS) {
    return 'warning';
  }
  return null;
}

/**
 * Keeps the keys past the warning age, in the scan's order (oldest first). `now` may differ by account: each
 * account's keys are aged against the instant that account was read.
 */
export function classifyKeys(
  keys: readonly AccountAccessKey[],
  now: Date | ((accountId: string) => Date),
  policy: AgePolicy,
): ClassifiedKey[] {
  const out: ClassifiedKey[] = [];
  for (const key of keys) {
    const readAt = typeof now === 'function' ? now(key.accountId) : now;
    const ageMs = readAt.getTime() - key.createdDate.getTime();
    const state = stateOf(ageMs, policy);
    if (state) {
      out.push({
        accountId: key.accountId,
        ...(key.accountName === undefined ? {} : { accountName: key.accountName }),
        userName: key.userName,
        accessKeyId: key.accessKeyId,
        status: key.status,
        createdDate: key.createdDate,
        ageDays: Math.floor(ageMs / DAY_MS),
        state,
        expiresAt: expiryOf(key.createdDate, policy),
      });
    }
  }
  return out;
}
