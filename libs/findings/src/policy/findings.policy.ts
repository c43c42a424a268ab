import {
  FINDING_CODES,
  ROOT_USER_NAME,
  type FindingCode,
  type FindingThresholds,
  type KeyFacts,
  type KeyFindings,
} from '../findings.types';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** "At least" everywhere: a key exactly at a threshold has the finding. */
function atLeast(nowMs: number, since: Date, spanMs: number): boolean {
  return nowMs - since.getTime() >= spanMs;
}

function isRoot(key: KeyFacts): boolean {
  return key.root === true || key.userName === ROOT_USER_NAME;
}

function ownerOf(key: KeyFacts): string {
  return JSON.stringify([key.accountId, isRoot(key) ? ROOT_USER_NAME : key.userName]);
}

/**
 * The findings of one user's keys (both slots), in the order given. Each key is judged by its own id,
 * whatever its slot: an unused second key is a finding even when the first one is Inactive.
 */
export function findingsFor<K extends KeyFacts>(
  keys: readonly K[],
  now: Date,
  thresholds: FindingThresholds,
): KeyFindings<K>[] {
  const owners = new Set(keys.map(ownerOf));
  if (owners.size > 1) {
    throw new Error(`findingsFor takes the keys of one user, got ${owners.size} users; use findingsForAll`);
  }
  const nowMs = now.getTime();
  const activeCount = keys.filter((k) => k.status === 'Active').length;
  return keys.map((key) => {
    const found = new Set<FindingCode>();
    const active = key.status === 'Active';
    if (atLeast(nowMs, key.createdDate, thresholds.rotationMaxAgeHours * HOUR_MS)) {
      found.add('old');
    }
    if (active && key.lastUsedDate !== null && atLeast(nowMs, key.lastUsedDate, thresholds.unusedMaxDays * DAY_MS)) {
      found.add('unused');
    }
    if (
      active &&
      key.lastUsedDate === null &&
      atLeast(nowMs, key.createdDate, thresholds.neverUsedGraceHours * HOUR_MS)
    ) {
      found.add('never_used');
    }
    if (active && activeCount >= 2 && !isRoot(key)) {
      found.add('two_active');
    }
    return { key, findings: FINDING_CODES.filter((code) => found.has(code)) };
  });
}

/**
 * The first instant (epoch ms) after `nowMs` at which time alone changes the key's findings (a threshold
 * crossed: old, unused, never_used), Infinity when none lies ahead. Findings only appear with time; two_active
 * moves with the keys themselves, never with the clock.
 */
export function findingsChangeAt(key: KeyFacts, nowMs: number, thresholds: FindingThresholds): number {
  const ahead = (since: Date, spanMs: number) => {
    const at = since.getTime() + spanMs;
    return at > nowMs ? at : Infinity;
  };
  const old = ahead(key.createdDate, thresholds.rotationMaxAgeHours * HOUR_MS);
  if (key.status !== 'Active') {
    return old;
  }
  const use =
    key.lastUsedDate === null
      ? ahead(key.createdDate, thresholds.neverUsedGraceHours * HOUR_MS)
      : ahead(key.lastUsedDate, thresholds.unusedMaxDays * DAY_MS);
  return Math.min(old, use);
}

/** findingsFor over keys of any number of users and accounts, grouped by owner; the answer keeps the input order. */
export function findingsForAll<K extends KeyFacts>(
  keys: readonly K[],
  now: Date,
  thresholds: FindingThresholds,
): KeyFindings<K>[] {
  const byOwner = new Map<string, K[]>();
  for (const key of keys) {
    const owner = ownerOf(key);
    const group = byOwner.get(owner);
    if (group) {
      group.push(key);
    } else {
      byOwner.set(owner, [key]);
    }
  }
  const answers = new Map<K, FindingCode[]>();
  for (const group of byOwner.values()) {
    for (const { key, findings } of findingsFor(group, now, thresholds)) {
      answers.set(key, findings);
    }
  }
  return keys.map((key) => ({ key, findings: answers.get(key) ?? [] }));
}
