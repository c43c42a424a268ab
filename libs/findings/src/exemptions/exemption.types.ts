import type { FindingCode } from '../findings.types';

/** What an exemption names; every field given must match, and at least one is given. */
export interface ExemptionMatch {
  accountId?: string;
  /** Exact, or a glob where `*` stands for any run of characters. */
  userName?: string;
  accessKeyId?: string;
}

export type ExemptionSource = 'file' | 'tag';

export interface Exemption {
  source: ExemptionSource;
  match: ExemptionMatch;
  /** The findings it covers; every one when the entry names none. */
  findings: readonly FindingCode[] | 'all';
  reason: string;
  /** It applies strictly before this instant, never at or after it. */
  expiresAt: Date;
  ticket?: string;
  approvedBy?: string;
  /** Where it was declared: the file's line, or the user's tags. */
  line?: number;
}

/** The exemption as the routes and the notifier show it, in the file's own field names. */
export interface ExemptionView {
  source: ExemptionSource;
  match: { account_id?: string; user_name?: string; access_key_id?: string };
  findings: FindingCode[] | 'all';
  reason: string;
  expires_at: string;
  ticket: string | null;
  approved_by: string | null;
  line: number | null;
}

export function viewOfExemption(exemption: Exemption): ExemptionView {
  const { match } = exemption;
  return {
    source: exemption.source,
    match: {
      ...(match.accountId !== undefined && { account_id: match.accountId }),
      ...(match.userName !== undefined && { user_name: match.userName }),
      ...(match.accessKeyId !== undefined && { access_key_id: match.accessKeyId }),
    },
    findings: exemption.findings === 'all' ? 'all' : [...exemption.findings],
    reason: exemption.reason,
    expires_at: exemption.expiresAt.toISOString(),
    ticket: exemption.ticket ?? null,
    approved_by: exemption.approvedBy ?? null,
    line: exemption.line ?? null,
  };
}
