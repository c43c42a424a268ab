import type { AccountOutcome } from '@app/iam';
import type { DigestChanges } from '../ladder/notifier-ladder.service';
import {
  ownerKey,
  type ClassifiedKey,
  type EmailRecords,
  type OutgoingEmail,
  type OwnerMap,
  type ResolvedKey,
} from '../notifier.types';
import { hasExemptionNews, type DigestInput, type EmailRenderer } from '../render/email-renderer';

export interface EmailPlanInput {
  /** The keys to mail now: with the ladder, those whose next stage is due. */
  keys: readonly ClassifiedKey[];
  /** Every key past the warning age to remind, for the digest; `keys` when unset. */
  open?: readonly ClassifiedKey[];
  /** Resolutions not told yet: each goes with the next message to its ladder's last recipient. */
  resolved?: readonly ResolvedKey[];
  /** The digest's changes since the last one; null: a digest already went out today, none now. */
  changes?: DigestChanges | null;
  /** Keyed by `ownerKey`: a user is read in its own account. */
  owners: OwnerMap;
  fallbackRecipients: readonly string[];
  keysSeen: number;
  usersSeen: number;
  accounts: readonly AccountOutcome[];
  exemptions?: DigestInput['exemptions'];
}

/**
 * One message per owner address covering all their keys, in every account; the keys without a valid owner,
 * and the digest of every key past the warning age, to each fallback recipient. One recipient per message,
 * so a rejected address costs only its own message. The digest also goes out when no key is due but an
 * account could not be scanned: its keys were not checked, and silence would read as "nothing due"; and when
 * an exemption lapsed or is about to. `keys` are the keys to remind: exempted ones are left out by the caller.
 */
export function planEmails(input: EmailPlanInput, renderer: EmailRenderer): OutgoingEmail[] {
  const open = input.open ?? input.keys;
  const resolvedFor = (recipients: readonly string[]) =>
    (input.resolved ?? []).filter((r) => r.lastRecipient !== undefined && recipients.includes(r.lastRecipient));
  const records = (keys: readonly ClassifiedKey[], resolved: readonly ResolvedKey[]): EmailRecords => ({
    stages: keys.flatMap((k) =>
      k.ladderId !== undefined && k.stage
        ? [{ ladderId: k.ladderId, accountId: k.accountId, accessKeyId: k.accessKeyId, stage: k.stage }]
        : [],
    ),
    resolvedLadderIds: resolved.map((r) => r.ladderId),
  });
  const byOwner = new Map<string, ClassifiedKey[]>();
  const unowned: ClassifiedKey[] = [];
  for (const key of input.keys) {
    const owner = input.owners.get(ownerKey(key));
    if (owner?.kind === 'owner') {
      byOwner.set(owner.address, [...(byOwner.get(owner.address) ?? []), key]);
    } else {
      unowned.push(key);
    }
  }
  const ids = (keys: readonly ClassifiedKey[]) => keys.map((k) => k.accessKeyId);
  const emails: OutgoingEmail[] = [];
  for (const [address, keys] of byOwner) {
    const resolved = resolvedFor([address]);
    emails.push({
      kind: 'owner',
      to: address,
      ...renderer.owner(keys, resolved),
      accessKeyIds: ids(keys),
      records: records(keys, resolved),
    });
  }
  if (unowned.length > 0) {
    const resolved = resolvedFor(input.fallbackRecipients);
    const message = renderer.fallback(unowned, input.owners, resolved);
    emails.push(
      ...input.fallbackRecipients.map((to) => ({
        kind: 'fallback' as const,
        to,
        ...message,
        accessKeyIds: ids(unowned),
        records: records(unowned, resolved),
      })),
    );
  }
  const changes = input.changes ?? undefined;
  if (
    input.changes !== null &&
    (open.length > 0 ||
      input.accounts.some((a) => a.status === 'failed') ||
      hasExemptionNews(input.exemptions) ||
      (changes?.resolved.length ?? 0) > 0)
  ) {
    const message = renderer.digest({ ...input, keys: open, changes });
    const summary = {
      open: open.length,
      expired: open.filter((k) => k.state === 'expired').length,
      newlyPastWarning: changes?.newlyPastWarning.length ?? 0,
      resolved: changes?.resolved.length ?? 0,
      medianRotationDays30: changes?.rotation30.medianDays ?? null,
      medianRotationDays90: changes?.rotation90.medianDays ?? null,
    };
    emails.push(
      ...input.fallbackRecipients.map((to) => ({
        kind: 'digest' as const,
        to,
        ...message,
        accessKeyIds: ids(open),
        records: { stages: [], resolvedLadderIds: [], digest: summary },
      })),
    );
  }
  return emails;
}
