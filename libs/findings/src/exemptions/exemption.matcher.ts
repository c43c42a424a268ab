import type { FindingCode, KeyFacts } from '../findings.types';
import type { Exemption } from './exemption.types';

export type KeyIdentity = Pick<KeyFacts, 'accountId' | 'userName' | 'accessKeyId'>;

const globs = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let regex = globs.get(glob);
  if (!regex) {
    const body = glob
      .split('*')
      .map((part) => part.replace(/[.+^${}()|[\]\\?]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${body}$`);
    globs.set(glob, regex);
  }
  return regex;
}

/** Whether every field the exemption names matches the key; expiry and findings aside. */
export function exemptionMatches(exemption: Exemption, key: KeyIdentity): boolean {
  const { accountId, userName, accessKeyId } = exemption.match;
  return (
    (accountId === undefined || accountId === key.accountId) &&
    (accessKeyId === undefined || accessKeyId === key.accessKeyId) &&
    (userName === undefined ||
      (userName.includes('*') ? globToRegExp(userName).test(key.userName) : userName === key.userName))
  );
}

/** In force strictly before its expiry: at the very instant it expires it no longer applies. */
export function exemptionActive(exemption: Exemption, now: Date): boolean {
  return now.getTime() < exemption.expiresAt.getTime();
}

/** The first expiry after `now` among these exemptions (where what they exempt changes), Infinity if none. */
export function exemptionsChangeAt(exemptions: Iterable<Exemption>, now: Date): number {
  const nowMs = now.getTime();
  let at = Infinity;
  for (const e of exemptions) {
    const expires = e.expiresAt.getTime();
    if (expires > nowMs && expires < at) {
      at = expires;
    }
  }
  return at;
}

export function exemptionCovers(exemption: Exemption, finding: FindingCode): boolean {
  return exemption.findings === 'all' || exemption.findings.includes(finding);
}

/** The first exemption, in declaration order, that applies to this key's finding now. */
export function exemptionFor(
  key: KeyIdentity,
  finding: FindingCode,
  exemptions: readonly Exemption[],
  now: Date,
): Exemption | undefined {
  return exemptions.find((e) => exemptionActive(e, now) && exemptionCovers(e, finding) && exemptionMatches(e, key));
}

export interface ExemptionOutcome {
  /** The exemption reported with the key: the first that covers all its findings, else the first covering any. */
  exemption: Exemption | null;
  /** Findings no active exemption covers. */
  open: FindingCode[];
  /** True only when the key has findings and every one is covered. */
  exempted: boolean;
}

export function resolveExemption(
  key: KeyIdentity,
  findings: readonly FindingCode[],
  exemptions: readonly Exemption[],
  now: Date,
): ExemptionOutcome {
  const applying = exemptions.filter((e) => exemptionActive(e, now) && exemptionMatches(e, key));
  const covering = applying.filter((e) => findings.some((f) => exemptionCovers(e, f)));
  const open = findings.filter((f) => !covering.some((e) => exemptionCovers(e, f)));
  const whole = covering.find((e) => findings.every((f) => exemptionCovers(e, f)));
  return {
    exemption: whole ?? covering[0] ?? null,
    open,
    exempted: findings.length > 0 && open.length === 0,
  };
}

export interface ScannedKey {
  key: KeyIdentity;
  findings: readonly FindingCode[];
}

/**
 * Active exemptions that covered no finding of any key a finished scan saw: stale entries to log and count, so
 * exemptions do not outlive the keys they were written for. An entry naming an account the scan did not reach
 * is not called stale on that scan's word.
 */
export function staleExemptions(
  exemptions: readonly Exemption[],
  scanned: readonly ScannedKey[],
  now: Date,
  scannedAccountIds?: ReadonlySet<string>,
): Exemption[] {
  return exemptions.filter(
    (e) =>
      exemptionActive(e, now) &&
      (scannedAccountIds === undefined ||
        e.match.accountId === undefined ||
        scannedAccountIds.has(e.match.accountId)) &&
      !scanned.some(({ key, findings }) => exemptionMatches(e, key) && findings.some((f) => exemptionCovers(e, f))),
  );
}

/** Active exemptions that expire within `days` of now, soonest first: the digest's reminder. */
export function expiringWithin(exemptions: readonly Exemption[], now: Date, days: number): Exemption[] {
  const horizon = now.getTime() + days * 86_400_000;
  return exemptions
    .filter((e) => exemptionActive(e, now) && e.expiresAt.getTime() <= horizon)
    .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
}

/** Exemptions that expired in [since, now): the ones that lapsed since the last digest. */
export function expiredBetween(exemptions: readonly Exemption[], since: Date, now: Date): Exemption[] {
  return exemptions
    .filter((e) => e.expiresAt.getTime() >= since.getTime() && !exemptionActive(e, now))
    .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
}
