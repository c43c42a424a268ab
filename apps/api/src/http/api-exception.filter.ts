import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { AccountsErrorCode, AccountsException } from '@app/accounts';
import { IamErrorCode, IamException } from '@app/iam';
import { ScansErrorCode, ScansException } from '@app/scans';
import type { Response } from 'express';
import { type ErrorBodyDto, httpErrorCode, httpReason, RequestValidationException } from '@app/platform';
import { AccountsFailedException } from '../old-keys/accounts-failed.exception';
import type { ScanErrorBodyDto } from '../old-keys/old-keys.dto';

interface Mapped {
  status: number;
  code: string;
  message: string;
  retryAfter?: number;
}

export function mapIamException(e: IamException): Mapped {
  const base = { code: e.code, message: e.message };
  switch (e.code) {
    case IamErrorCode.AccessDenied:
    case IamErrorCode.CredentialsUnavailable:
    case IamErrorCode.NoSuchEntity:
    case IamErrorCode.ReportNotPresent:
    case IamErrorCode.ReportExpired:
    case IamErrorCode.ReportMalformed:
    case IamErrorCode.Upstream:
    case IamErrorCode.AccountAccessDenied:
      return { ...base, status: HttpStatus.BAD_GATEWAY };
    case IamErrorCode.AccountNotConfigured:
      return { ...base, status: HttpStatus.BAD_REQUEST };
    case IamErrorCode.AccountCredentialsUnavailable:
    case IamErrorCode.Throttled:
    case IamErrorCode.ReportInProgress:
    case IamErrorCode.ReportNotReady:
      return { ...base, status: HttpStatus.SERVICE_UNAVAILABLE, retryAfter: e.retryAfterSeconds ?? 30 };
    case IamErrorCode.Timeout:
      return { ...base, status: HttpStatus.GATEWAY_TIMEOUT };
    default: {
      const _exhaustive: never = e.code;
      return { status: HttpStatus.INTERNAL_SERVER_ERROR, code: String(_exhaustive), message: 'Internal error' };
    }
  }
}

/** The account list could not be read, or STS would not say who the service is: never an empty answer. */
export function mapAccountsException(e: AccountsException): Mapped {
  const base = { code: e.code, message: e.message };
  switch (e.code) {
    case AccountsErrorCode.OrganizationsAccessDenied:
    case AccountsErrorCode.OrganizationsNotInUse:
    case AccountsErrorCode.OrganizationsParentNotFound:
    case AccountsErrorCode.CallerIdentityUnavailable:
    case AccountsErrorCode.AccountAccessDenied:
      return { ...base, status: HttpStatus.BAD_GATEWAY };
    case AccountsErrorCode.OrganizationsUnavailable:
    case AccountsErrorCode.AccountCredentialsUnavailable:
      return { ...base, status: HttpStatus.SERVICE_UNAVAILABLE, retryAfter: e.retryAfterSeconds ?? 30 };
    default: {
      const _exhaustive: never = e.code;
      return { status: HttpStatus.INTERNAL_SERVER_ERROR, code: String(_exhaustive), message: 'Internal error' };
    }
  }
}

const IAM_CODES = new Set<string>(Object.values(IamErrorCode));
/** An account of the stored inventory without data as fresh as asked: not scanned yet, or its scans failed. */
const STORED_INVENTORY_CODES = new Set<string>(['NOT_YET_SCANNED', 'INVENTORY_NOT_FRESH', 'INCOMPLETE', 'SUPERSEDED']);

export function mapScansException(e: ScansException): Mapped {
  const base = { code: e.code, message: e.message };
  switch (e.code) {
    case ScansErrorCode.ScanNotFound:
      return { ...base, status: HttpStatus.NOT_FOUND };
    case ScansErrorCode.InventoryNotFresh:
    case ScansErrorCode.StoreUnavailable:
      return { ...base, status: HttpStatus.SERVICE_UNAVAILABLE, retryAfter: e.details.retryAfterSeconds ?? 30 };
    default: {
      const _exhaustive: never = e.code;
      return { status: HttpStatus.INTERNAL_SERVER_ERROR, code: String(_exhaustive), message: 'Internal error' };
    }
  }
}
const ACCOUNTS_CODES = new Set<string>(Object.values(AccountsErrorCode));

/** The status an account's failure would have as an error of its own (its outcome keeps only the code). */
export function mapAccountFailure(code: string, message: string, retryAfterSeconds?: number): Mapped {
  const details = { retryAfterSeconds };
  if (IAM_CODES.has(code)) {
    return mapIamException(new IamException(code as IamErrorCode, message, details));
  }
  if (ACCOUNTS_CODES.has(code)) {
    return mapAccountsException(new AccountsException(code as AccountsErrorCode, message, details));
  }
  if (STORED_INVENTORY_CODES.has(code)) {
    return { status: HttpStatus.SERVICE_UNAVAILABLE, code, message, retryAfter: retryAfterSeconds ?? 30 };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, code, message };
}

/** Terminus answers a failed check with its own documented shape; probes and dashboards read it as is. */
function isHealthResult(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'status' in body && 'details' in body;
}

/**
 * The one place errors become HTTP: domain codes to statuses, a stable JSON shape, and for anything
 * unexpected a generic 500 whose error id is also logged with the real error. Nothing from a stack trace
 * or an AWS message reaches the client.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      return;
    }
    if (exception instanceof HttpException && isHealthResult(exception.getResponse())) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const body = this.toBody(exception);
    const retryHeader = Number(res.getHeader('Retry-After'));
    if (body.statusCode === 429) {
      body.message = 'Too many requests from this client; retry after the Retry-After delay';
      if (Number.isFinite(retryHeader)) {
        body.retry_after_seconds = retryHeader;
      }
    }
    if (body.retry_after_seconds !== undefined) {
      res.setHeader('Retry-After', String(body.retry_after_seconds));
    }
    if (body.statusCode === 401) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="iam-key-monitor"');
    }
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBodyDto {
    if (exception instanceof AccountsFailedException) {
      const failed = exception.accounts.filter((a) => a.status === 'failed');
      const { sole } = exception;
      if (sole) {
        const m = mapAccountFailure(sole.code, sole.message, sole.retryAfterSeconds);
        this.logger.warn(
          { code: m.code, action: sole.action, awsError: sole.awsErrorName, account: sole.accountId, status: m.status },
          `${m.code.startsWith('IAM_') ? 'IAM' : 'Account'} failure: ${m.message}`,
        );
        const body: ScanErrorBodyDto = {
          statusCode: m.status,
          error: httpReason(m.status),
          code: m.code,
          message: m.message,
          action: sole.action,
          retry_after_seconds: m.retryAfter,
          accounts: exception.accounts,
        };
        return body;
      }
      this.logger.warn(
        { code: AccountsFailedException.code, accounts: failed.map((a) => ({ id: a.account_id, code: a.code })) },
        `Accounts failed: ${exception.message}`,
      );
      const body: ScanErrorBodyDto = {
        statusCode: HttpStatus.BAD_GATEWAY,
        error: httpReason(HttpStatus.BAD_GATEWAY),
        code: AccountsFailedException.code,
        message: exception.message,
        accounts: exception.accounts,
      };
      return body;
    }
    if (exception instanceof IamException) {
      const m = mapIamException(exception);
      this.logger.warn(
        {
          code: m.code,
          action: exception.action,
          awsError: exception.awsErrorName,
          account: exception.accountId,
          status: m.status,
        },
        `IAM failure: ${m.message}`,
      );
      return {
        statusCode: m.status,
        error: httpReason(m.status),
        code: m.code,
        message: m.message,
        action: exception.action,
        retry_after_seconds: m.retryAfter,
        // The only IamException a caller's own input causes: name the field like any other 400.
        ...(exception.code === IamErrorCode.AccountNotConfigured
          ? { fields: [{ field: 'account_id', messages: [m.message] }] }
          : {}),
      };
    }
    if (exception instanceof ScansException) {
      const m = mapScansException(exception);
      this.logger.warn({ code: m.code, scanId: exception.details.scanId, status: m.status }, m.message);
      return {
        statusCode: m.status,
        error: httpReason(m.status),
        code: m.code,
        message: m.message,
        retry_after_seconds: m.retryAfter,
      };
    }
    if (exception instanceof AccountsException) {
      const m = mapAccountsException(exception);
      this.logger.warn(
        { code: m.code, action: exception.action, awsError: exception.awsErrorName, status: m.status },
        `Accounts failure: ${m.message}`,
      );
      return {
        statusCode: m.status,
        error: httpReason(m.status),
        code: m.code,
        message: m.message,
        action: exception.action,
        retry_after_seconds: m.retryAfter,
      };
    }
    if (exception instanceof RequestValidationException) {
      return {
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: exception.message,
        fields: exception.fields,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 500) {
        return this.unexpected(exception);
      }
      const response = exception.getResponse();
      const raw = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
      const message = typeof raw.message === 'string' ? raw.message : exception.message;
      const retry = typeof raw.retryAfterSeconds === 'number' ? raw.retryAfterSeconds : undefined;
      return {
        statusCode: status,
        error: httpReason(status),
        code: typeof raw.code === 'string' ? raw.code : httpErrorCode(status),
        message,
        retry_after_seconds: retry,
      };
    }
    return this.unexpected(exception);
  }

  private unexpected(exception: unknown): ErrorBodyDto {
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'Unexpected error');
    return {
      statusCode: 500,
      error: httpReason(500),
      code: 'INTERNAL_ERROR',
      message: 'An unexpected error occurred; quote the error id to the operators',
      error_id: errorId,
    };
  }
}
