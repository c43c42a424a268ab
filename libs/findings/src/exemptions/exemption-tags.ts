import { expiryProblem, parseExpiry } from './exemption-expiry';
import type { Exemption } from './exemption.types';

export const EXEMPT_UNTIL_TAG = 'iam-key-monitor:exempt-until';
export const EXEMPT_REASON_TAG = 'iam-key-monitor:exempt-reason';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

export interface TagExemptionInput {
  accountId: string;
  userName: string;
  /** The user's tags, as ListUserTags gives them or already as a map. */
  tags: Readonly<Record<string, string>> | readonly { Key?: string; Value?: string }[];
  now: Date;
  maxDays: number;
}

/** Either an exemption, or (tags present but wrong) a reason to log; neither when the user has no exemption tags. */
export interface TagExemptionResult {
  exemption?: Exemption;
  problem?: string;
}

function tagMap(tags: TagExemptionInput['tags']): Record<string, string> {
  if (!Array.isArray(tags)) {
    return tags as Record<string, string>;
  }
  const map: Record<string, string> = {};
  for (const { Key, Value } of tags as readonly { Key?: string; Value?: string }[]) {
    if (Key !== undefined) {
      map[Key] = Value ?? '';
    }
  }
  return map;
}

/**
 * The exemption a user's tags declare, for teams that manage users in Terraform: it covers every finding of every
 * key of that user, until the date's start (UTC), under the same EXEMPTION_MAX_DAYS as the file. Invalid tags
 * exempt nothing: an owner who mistyped a date still gets the reminder.
 */
export function exemptionFromTags(input: TagExemptionInput): TagExemptionResult {
  const tags = tagMap(input.tags);
  const until = tags[EXEMPT_UNTIL_TAG]?.trim();
  const reason = tags[EXEMPT_REASON_TAG]?.trim();
  if (until === undefined && reason === undefined) {
    return {};
  }
  const who = `user ${input.userName} in ${input.accountId}`;
  if (!until) {
    return { problem: `${who}: ${EXEMPT_REASON_TAG} without ${EXEMPT_UNTIL_TAG}; no exemption` };
  }
  if (!reason) {
    return { problem: `${who}: ${EXEMPT_UNTIL_TAG} without ${EXEMPT_REASON_TAG}; no exemption` };
  }
  const expiresAt = DATE_ONLY.test(until) ? parseExpiry(until) : undefined;
  if (!expiresAt) {
    return {
      problem: `${who}: ${EXEMPT_UNTIL_TAG} ${JSON.stringify(until)} is not an ISO date (2026-07-01); no exemption`,
    };
  }
  const tooFar = expiryProblem(expiresAt, input.now, input.maxDays);
  if (tooFar) {
    return { problem: `${who}: ${EXEMPT_UNTIL_TAG} ${until} ${tooFar}; no exemption` };
  }
  return {
    exemption: {
      source: 'tag',
      match: { accountId: input.accountId, userName: input.userName },
      findings: 'all',
      reason,
      expiresAt,
    },
  };
}
