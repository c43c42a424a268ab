import {
  CredentialReportExpiredException,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { AccountsErrorCode, AccountsException } from '@app/accounts';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import { isThrottlingError, mapAwsError } from './aws-error.mapper';

function awsError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`User: arn:aws:iam::123456789012:user/x is not authorized (${name})`), {
    name,
    $metadata: { httpStatusCode: 400, requestId: 'req-1' },
    ...extra,
  });
}

describe(mapAwsError.name, () => {
  it.each([
    ['AccessDenied', IamErrorCode.AccessDenied],
    ['AccessDeniedException', IamErrorCode.AccessDenied],
    ['InvalidClientTokenId', IamErrorCode.CredentialsUnavailable],
    ['ExpiredToken', IamErrorCode.CredentialsUnavailable],
    ['CredentialsProviderError', IamErrorCode.CredentialsUnavailable],
    ['Throttling', IamErrorCode.Throttled],
    ['TimeoutError', IamErrorCode.Timeout],
    ['NoSuchEntity', IamErrorCode.NoSuchEntity],
    ['ServiceUnavailable', IamErrorCode.Upstream],
  ])('maps %s to %s with the action and no AWS message', (name, code) => {
    const mapped = mapAwsError(awsError(name), 'ListAccessKeys');
    expect(mapped).toBeInstanceOf(IamException);
    expect(mapped.code).toBe(code);
    expect(mapped.action).toBe('ListAccessKeys');
    expect(mapped.message).not.toContain('arn:aws');
  });

  it.each([
    [new NoSuchEntityException({ message: 'x', $metadata: {} }), IamErrorCode.NoSuchEntity],
    [new CredentialReportNotPresentException({ message: 'x', $metadata: {} }), IamErrorCode.ReportNotPresent],
    [new CredentialReportNotReadyException({ message: 'x', $metadata: {} }), IamErrorCode.ReportInProgress],
    [new CredentialReportExpiredException({ message: 'x', $metadata: {} }), IamErrorCode.ReportExpired],
  ])('maps the SDK exception class %p by its name', (err, code) => {
    expect(mapAwsError(err, 'GetCredentialReport').code).toBe(code);
  });

  it('prefers the wire code the SDK keeps on Code over the class name', () => {
    const err = awsError('CredentialReportNotReadyException', { Code: 'ReportInProgress' });
    expect(mapAwsError(err, 'GetCredentialReport').code).toBe(IamErrorCode.ReportInProgress);
  });

  it('gives throttling a Retry-After', () => {
    expect(mapAwsError(awsError('Throttling'), 'ListUsers').retryAfterSeconds).toBe(30);
  });

  it('names a network error by its code', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(mapAwsError(err, 'ListUsers').message).toBe('IAM call ListUsers failed (ECONNREFUSED)');
  });

  it('says a failed AssumeRole inside an IAM call is the account being out of reach, not IAM denying a call', () => {
    const denied = new AccountsException(
      AccountsErrorCode.AccountAccessDenied,
      'AssumeRole of R in account 222222222222 was denied',
      {
        action: 'AssumeRole',
        accountId: '222222222222',
        awsErrorName: 'AccessDenied',
      },
    );
    expect(mapAwsError(denied, 'ListUsers', '222222222222')).toMatchObject({
      code: IamErrorCode.AccountAccessDenied,
      action: 'AssumeRole',
      accountId: '222222222222',
      message: 'AssumeRole of R in account 222222222222 was denied',
    });
    const throttled = new AccountsException(AccountsErrorCode.AccountCredentialsUnavailable, 'AssumeRole failed', {
      action: 'AssumeRole',
      retryAfterSeconds: 30,
    });
    expect(mapAwsError(throttled, 'ListUsers', '333333333333')).toMatchObject({
      code: IamErrorCode.AccountCredentialsUnavailable,
      action: 'AssumeRole',
      accountId: '333333333333',
      retryAfterSeconds: 30,
    });
  });

  it('passes an IamException through untouched', () => {
    const original = new IamException(IamErrorCode.ReportNotReady, 'x');
    expect(mapAwsError(original, 'GetCredentialReport')).toBe(original);
  });
});

describe(isThrottlingError.name, () => {
  it('recognises throttling by name, wire code or the SDK retryable flag', () => {
    expect(isThrottlingError(awsError('Throttling'))).toBe(true);
    expect(isThrottlingError(awsError('SomethingElse', { Code: 'Throttling' }))).toBe(true);
    expect(isThrottlingError(awsError('X', { $retryable: { throttling: true } }))).toBe(true);
    expect(isThrottlingError(awsError('AccessDenied'))).toBe(false);
    expect(isThrottlingError(undefined)).toBe(false);
  });
});
