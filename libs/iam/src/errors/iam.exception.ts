export enum IamErrorCode {
  AccessDenied = 'IAM_ACCESS_DENIED',
  CredentialsUnavailable = 'IAM_CREDENTIALS_UNAVAILABLE',
  Throttled = 'IAM_THROTTLED',
  Timeout = 'IAM_TIMEOUT',
  NoSuchEntity = 'IAM_NO_SUCH_ENTITY',
  ReportNotPresent = 'IAM_REPORT_NOT_PRESENT',
  ReportExpired = 'IAM_REPORT_EXPIRED',
  ReportInProgress = 'IAM_REPORT_IN_PROGRESS',
  ReportNotReady = 'IAM_REPORT_NOT_READY',
  ReportMalformed = 'IAM_REPORT_MALFORMED',
  Upstream = 'IAM_UPSTREAM_ERROR',
  /** sts:AssumeRole into the account was denied (no role, wrong trust policy or ExternalId, account closed). */
  AccountAccessDenied = 'ACCOUNT_ACCESS_DENIED',
  /** sts:AssumeRole into the account failed otherwise (STS throttled, timed out or down). */
  AccountCredentialsUnavailable = 'ACCOUNT_CREDENTIALS_UNAVAILABLE',
  /** A scan was asked for an account that is not one of the configured accounts. */
  AccountNotConfigured = 'ACCOUNT_NOT_CONFIGURED',
}

export interface IamExceptionDetails {
  /** The IAM API action that failed, e.g. ListAccessKeys. */
  action?: string;
  /** Seconds after which a retry is worth it (throttling, report not ready). */
  retryAfterSeconds?: number;
  /** The AWS error name, safe to show (never its message, which may carry ARNs or request ids). */
  awsErrorName?: string;
  /** The account whose IAM (or AssumeRole into it) failed, when known. */
  accountId?: string;
  cause?: unknown;
}

/** A failure of the IAM side of a scan, with a code the HTTP layer maps to a status. */
export class IamException extends Error {
  readonly action?: string;
  readonly retryAfterSeconds?: number;
  readonly awsErrorName?: string;
  readonly accountId?: string;

  constructor(
    readonly code: IamErrorCode,
    message: string,
    details: IamExceptionDetails = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'IamException';
    this.action = details.action;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.awsErrorName = details.awsErrorName;
    this.accountId = details.accountId;
  }
}
