export enum AccountsErrorCode {
  /** Organizations refused the service's credentials (not the management or a delegated-administrator account). */
  OrganizationsAccessDenied = 'ORGANIZATIONS_ACCESS_DENIED',
  /** The service's account belongs to no organization. */
  OrganizationsNotInUse = 'ORGANIZATIONS_NOT_IN_USE',
  /** An ORG_INCLUDE_OUS id names no root or OU of the organization. */
  OrganizationsParentNotFound = 'ORGANIZATIONS_PARENT_NOT_FOUND',
  /** Organizations throttled, timed out or failed otherwise: the account list is unknown, never empty. */
  OrganizationsUnavailable = 'ORGANIZATIONS_UNAVAILABLE',
  /** sts:GetCallerIdentity failed, so the service does not know its own account. */
  CallerIdentityUnavailable = 'CALLER_IDENTITY_UNAVAILABLE',
  /** sts:AssumeRole into a member account was denied (no role, wrong trust, wrong ExternalId). */
  AccountAccessDenied = 'ACCOUNT_ACCESS_DENIED',
  /** sts:AssumeRole into a member account failed for another reason (throttled, timed out, STS error). */
  AccountCredentialsUnavailable = 'ACCOUNT_CREDENTIALS_UNAVAILABLE',
}

export interface AccountsExceptionDetails {
  /** The AWS API action that failed, e.g. AssumeRole or ListAccounts. */
  action?: string;
  /** The account the failure concerns (AssumeRole), when there is one. */
  accountId?: string;
  /** Seconds after which a retry is worth it (throttling). */
  retryAfterSeconds?: number;
  /** The AWS error name, safe to show (never its message, which may carry ARNs or request ids). */
  awsErrorName?: string;
  cause?: unknown;
}

/** A failure to learn which accounts to scan or to get into one, with a code the HTTP layer maps to a status. */
export class AccountsException extends Error {
  readonly action?: string;
  readonly accountId?: string;
  readonly retryAfterSeconds?: number;
  readonly awsErrorName?: string;

  constructor(
    readonly code: AccountsErrorCode,
    message: string,
    details: AccountsExceptionDetails = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'AccountsException';
    this.action = details.action;
    this.accountId = details.accountId;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.awsErrorName = details.awsErrorName;
  }
}
