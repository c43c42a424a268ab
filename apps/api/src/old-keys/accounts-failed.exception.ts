import type { AccountOutcome } from '@app/iam';
import type { AccountOutcomeDto } from './old-keys.dto';

/** Ids named in the message; the `accounts` list always carries them all. */
const NAMED_IN_MESSAGE = 5;

/**
 * Some accounts could not be scanned and the caller did not ask for a partial answer: a 502 ACCOUNTS_FAILED that
 * lists every account's outcome, so a client sees which ones failed and why, and never reads the rest as the
 * whole answer. When the scan covered one account only (self mode, or one account_id), its failure is the
 * answer's error as it always was (503 with Retry-After when throttled, 504 on a timeout, ...), `accounts` added.
 */
export class AccountsFailedException extends Error {
  static readonly code = 'ACCOUNTS_FAILED';
  /** The failure of the one account scanned, when there was only one. */
  readonly sole?: Extract<AccountOutcome, { status: 'failed' }>;

  constructor(
    readonly accounts: AccountOutcomeDto[],
    outcomes: readonly AccountOutcome[],
  ) {
    const failed = accounts.filter((a) => a.status === 'failed').map((a) => a.account_id);
    const named = failed.slice(0, NAMED_IN_MESSAGE).join(', ');
    const more = failed.length > NAMED_IN_MESSAGE ? ` and ${failed.length - NAMED_IN_MESSAGE} more` : '';
    const scanned = accounts.filter((a) => a.status !== 'skipped').length;
    super(
      `${failed.length} of ${scanned} accounts could not be scanned (${named}${more}); see accounts, or ask with allow_partial=true for the others`,
    );
    this.name = 'AccountsFailedException';
    const scannedAccounts = outcomes.filter((a) => a.status !== 'skipped');
    const [only] = scannedAccounts;
    this.sole = scannedAccounts.length === 1 && only.status === 'failed' ? only : undefined;
  }
}
