import {
  exemptionActive,
  exemptionCovers,
  exemptionMatches,
  expiredBetween,
  expiringWithin,
  type Exemption,
} from '@app/findings';
import { DAY_MS } from '../notifier.constants';
import { ownerKey, type ClassifiedKey } from '../notifier.types';

/** The digest lists exemptions that lapse within this many days. */
export const DIGEST_EXPIRING_DAYS = 14;
/**
 * "Since the last digest": the notifier keeps no store yet and runs daily, so it means the last day (since
 * yesterday's run). A run skipped or run twice a day shifts that window; a store would make it exact.
 */
export const SINCE_LAST_DIGEST_MS = DAY_MS;

export interface ExemptedKey {
  key: ClassifiedKey;
  exemption: Exemption;
}

export interface KeyExemptions {
  /** Keys still to remind: no exemption covering `old` is in force for them. */
  remind: ClassifiedKey[];
  /** Keys no owner hears about, each with the exemption that covers it. */
  exempted: ExemptedKey[];
  /** Keys past their age whose exemption has expired (the latest such exemption). */
  lapsed: ExemptedKey[];
  /** In force and lapsing within DIGEST_EXPIRING_DAYS, soonest first. */
  expiring: Exemption[];
  /** Expired within SINCE_LAST_DIGEST_MS before now. */
  expiredRecently: Exemption[];
}

export interface KeyExemptionsInput {
  keys: readonly ClassifiedKey[];
  /** The exemptions file's entries. */
  declared: readonly Exemption[];
  /** Each user's tag exemption, keyed by ownerKey. */
  tagExemptions: ReadonlyMap<string, Exemption>;
  now: Date;
}

/**
 * Which reminders an exemption silences: one in force that matches the key and covers `old`, the finding a
 * rotation reminder is about (an exemption for `unused` alone does not excuse an old key).
 */
export function applyKeyExemptions(input: KeyExemptionsInput): KeyExemptions {
  const { now } = input;
  const result: KeyExemptions = { remind: [], exempted: [], lapsed: [], expiring: [], expiredRecently: [] };
  for (const key of input.keys) {
    const tag = input.tagExemptions.get(ownerKey(key));
    const candidates = tag ? [...input.declared, tag] : input.declared;
    const applying = candidates.filter((e) => exemptionCovers(e, 'old') && exemptionMatches(e, key));
    const inForce = applying.find((e) => exemptionActive(e, now));
    if (inForce) {
      result.exempted.push({ key, exemption: inForce });
      continue;
    }
    result.remind.push(key);
    const lapsed = applying.sort((a, b) => b.expiresAt.getTime() - a.expiresAt.getTime())[0];
    if (lapsed && key.state === 'expired') {
      result.lapsed.push({ key, exemption: lapsed });
    }
  }
  const all = [...input.declared, ...input.tagExemptions.values()];
  result.expiring = expiringWithin(all, now, DIGEST_EXPIRING_DAYS);
  result.expiredRecently = expiredBetween(all, new Date(now.getTime() - SINCE_LAST_DIGEST_MS), now);
  return result;
}
