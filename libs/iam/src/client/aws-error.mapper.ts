import { AccountsErrorCode, AccountsException } from '@app/accounts';
import { IamErrorCode, IamException } from '../errors/iam.exception';

interface AwsLikeError {
  name?: string;
  code?: string;
  /** The wire error code; the SDK names modelled errors after their exception class instead. */
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'NotAuthorized']);
const BAD_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
]);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);

export function isThrottlingError(err: unknown): boolean {
  const e = err as AwsLikeError | undefined;
  return !!e && (THROTTLING.has(e.Code ?? e.name ?? '') || e.$retryable?.throttling === true);
}

/**
 * A member account's credentials provider failed inside an IAM call: AssumeRole, not IAM, is what went wrong,
 * and the answer says so with the action that failed.
 */
function fromAssumeRole(err: AccountsException, accountId: string | undefined): IamException {
  const details = {
    action: err.action ?? 'AssumeRole',
    awsErrorName: err.awsErrorName,
    accountId: err.accountId ?? accountId,
    retryAfterSeconds: err.retryAfterSeconds,
    cause: err,
  };
  const code =
    err.code === AccountsErrorCode.AccountAccessDenied
      ? IamErrorCode.AccountAccessDenied
      : IamErrorCode.AccountCredentialsUnavailable;
  return new IamException(code, err.message, details);
}

/** Turns whatever the SDK threw into an IamException whose message is safe to show a client. */
export function mapAwsError(err: unknown, action: string, accountId?: string): IamException {
  if (err instanceof IamException) {
    return err;
  }
  if (err instanceof AccountsException) {
    return fromAssumeRole(err, accountId);
  }
  const e = (err ?? {}) as AwsLikeError;
  const name = e.Code ?? e.name ?? 'Error';
  const details = { action, awsErrorName: name, accountId, cause: err };
  if (DENIED.has(name)) {
    return new IamException(IamErrorCode.AccessDenied, `IAM denied ${action} to the service's credentials`, details);
  }
  if (BAD_CREDENTIALS.has(name)) {
    return new IamException(
      IamErrorCode.CredentialsUnavailable,
      `The service has no valid AWS credentials for ${action} (${name})`,
      details,
    );
  }
  if (isThrottlingError(err)) {
    return new IamException(IamErrorCode.Throttled, `IAM kept throttling ${action} beyond the retry budget`, {
      ...details,
      retryAfterSeconds: 30,
    });
  }
  if (TIMEOUTS.has(name) || TIMEOUT_CODES.has(e.code ?? '')) {
    return new IamException(IamErrorCode.Timeout, `IAM did not answer ${action} in time`, details);
  }
  switch (name) {
    case 'NoSuchEntity':
    case 'NoSuchEntityException':
      return new IamException(IamErrorCode.NoSuchEntity, `IAM entity not found during ${action}`, details);
    case 'ReportNotPresent':
    case 'CredentialReportNotPresentException':
      return new IamException(IamErrorCode.ReportNotPresent, 'No credential report has been generated', details);
    case 'ReportExpired':
    case 'CredentialReportExpiredException':
      return new IamException(IamErrorCode.ReportExpired, 'The credential report has expired', details);
    case 'ReportInProgress':
    case 'CredentialReportNotReadyException':
      return new IamException(IamErrorCode.ReportInProgress, 'The credential report is still being generated', details);
  }
  const status = e.$metadata?.httpStatusCode;
  const what = status ? `HTTP ${status}` : (e.code ?? name);
  return new IamException(IamErrorCode.Upstream, `IAM call ${action} failed (${what})`, details);
}
