/** What the SDK's errors carry that is safe to read: the wire code or class name, never the message. */
export interface AwsLikeError {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export const awsErrorName = (err: unknown): string => {
  const e = (err ?? {}) as AwsLikeError;
  return e.Code ?? e.name ?? 'Error';
};

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException']);

export const isThrottling = (err: unknown): boolean =>
  THROTTLING.has(awsErrorName(err)) || (err as AwsLikeError | undefined)?.$retryable?.throttling === true;

export const isDenied = (err: unknown): boolean => DENIED.has(awsErrorName(err));

const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/** The error's name and HTTP status when the service answered, `timed out`, or Node's code (ECONNREFUSED). */
export const describeFailure = (err: unknown): string => {
  const e = (err ?? {}) as AwsLikeError;
  const name = awsErrorName(err);
  const status = e.$metadata?.httpStatusCode;
  if (status) {
    return `${name}, HTTP ${status}`;
  }
  return TIMEOUTS.has(name) || TIMEOUTS.has(e.code ?? '') ? 'timed out' : (e.code ?? name);
};
