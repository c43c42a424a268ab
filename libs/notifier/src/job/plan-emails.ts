import type { AccountOutcome } from '@app/iam';
import { ownerKey, type ClassifiedKey, type OutgoingEmail, type OwnerMap } from '../notifier.types';
import { hasExemptionNews, type DigestInput, type EmailRenderer } from '../render/email-renderer';

export interface EmailPlanInput {
  keys: readonly ClassifiedKey[];
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
    emails.push({ kind: 'owner', to: address, ...renderer.owner(keys), accessKeyIds: ids(keys) });
  }
  if (unowned.length > 0) {
    const message = renderer.fallback(unowned, input.owners);
    emails.push(
      ...input.fallbackRecipients.map((to) => ({
        kind: 'fallback' as const,
        to,
        ...message,
        accessKeyIds: ids(unowned),
      })),
    );
  }
  if (
    input.keys.length > 0 ||
    input.accounts.some((a) => a.status === 'failed') ||
    hasExemptionNews(input.exemptions)
  ) {
    const message = renderer.digest(input);
    emails.push(
      ...input.fallbackRecipients.map((to) => ({
        kind: 'digest' as const,
        to,
        ...message,
        accessKeyIds: ids(input.keys),
      })),
    );
  }
  return emails;
}
