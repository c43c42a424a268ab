import {
  applyDecorators,
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiGatewayTimeoutResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  type HeadersObject,
} from '@nestjs/swagger';
import {
  IAM_CLOCK,
  MAX_HOURS,
  OldKeysService,
  OrganizationScanService,
  type Clock,
  type ScanQuery,
  type ScanSource,
} from '@app/iam';
import { ErrorBodyDto } from '@app/platform';
import type { Request, Response } from 'express';
import { answerKey, PreparedAnswers } from '../http/prepared-answers';
import { AccountsFailedException } from './accounts-failed.exception';
import {
  ScanErrorBodyDto,
  CREDENTIAL_REPORT_RESPONSE_EXAMPLE,
  CredentialReportBodyDto,
  LIST_USERS_RESPONSE_EXAMPLE,
  ListUsersQueryDto,
  OldAccessKeysResponseDto,
} from './old-keys.dto';

const RETRY_AFTER: HeadersObject = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', example: 30 } },
};

/** The bodies the exception filter really sends, so the docs show what a client must handle. */
const errorBody = (
  statusCode: number,
  error: string,
  code: string,
  message: string,
  more: Partial<ErrorBodyDto> = {},
) => ({ statusCode, error, code, message, ...more }) satisfies ErrorBodyDto;

const HOURS_MESSAGE = `hours must be an integer from 0 to ${MAX_HOURS}`;
const HOURS_INVALID = errorBody(400, 'Bad Request', 'VALIDATION_FAILED', HOURS_MESSAGE, {
  fields: [{ field: 'hours', messages: [HOURS_MESSAGE] }],
});
const UNAUTHORIZED = errorBody(401, 'Unauthorized', 'UNAUTHORIZED', 'Send Authorization: Bearer <token>');
const RATE_LIMITED = errorBody(
  429,
  'Too Many Requests',
  'TOO_MANY_REQUESTS',
  'Too many requests from this client; retry after the Retry-After delay',
  {
    retry_after_seconds: 60,
  },
);
/** The own account, as the emulator and the examples name it. */
const OWN_ACCOUNT = '111111111111';

/** An error of the one account scanned (self mode): its own body, and the accounts list naming it. */
const soleAccount = (
  statusCode: number,
  error: string,
  code: string,
  message: string,
  more: { action: string; retry_after_seconds?: number },
): ScanErrorBodyDto => ({
  ...errorBody(statusCode, error, code, message, more),
  accounts: [{ account_id: OWN_ACCOUNT, status: 'failed', code, message, ...more }],
});
export const denied = (action: string) =>
  soleAccount(502, 'Bad Gateway', 'IAM_ACCESS_DENIED', `IAM denied ${action} to the service's credentials`, { action });
export const throttled = (action: string) =>
  soleAccount(503, 'Service Unavailable', 'IAM_THROTTLED', `IAM kept throttling ${action} beyond the retry budget`, {
    action,
    retry_after_seconds: 30,
  });
export const timedOut = (action: string) =>
  soleAccount(504, 'Gateway Timeout', 'IAM_TIMEOUT', `IAM did not answer ${action} in time`, { action });

const ACCOUNTS_FAILED_EXAMPLE: ScanErrorBodyDto = {
  statusCode: 502,
  error: 'Bad Gateway',
  code: AccountsFailedException.code,
  message:
    '1 of 2 accounts could not be scanned (210987654321); see accounts, or ask with allow_partial=true for the others',
  accounts: [
    {
      account_id: OWN_ACCOUNT,
      account_name: 'management',
      status: 'ok',
      data_read_at: '2025-11-23T08:03:18.000Z',
      key_count: 1,
    },
    {
      account_id: '210987654321',
      account_name: 'payments-prod',
      status: 'failed',
      code: 'ACCOUNT_ACCESS_DENIED',
      action: 'AssumeRole',
      message: 'AssumeRole of IamKeyMonitorReadOnly in account 210987654321 was denied',
    },
  ],
};

const ACCOUNT_NOT_CONFIGURED_MESSAGE = 'account 999999999999 is not among the configured accounts';

export interface ErrorExamples {
  /** The 400 shown for an invalid parameter; `hours` by default. */
  invalid?: ErrorBodyDto;
  badGateway: ScanErrorBodyDto;
  unavailable: Record<string, { summary: string; value: ScanErrorBodyDto }>;
  timeout: ScanErrorBodyDto;
}

/** Every error a /v1 route can answer, each with the shared body and a real example. */
export function ApiOldKeysErrors(examples: ErrorExamples) {
  return applyDecorators(
    ApiBadRequestResponse({
      type: ErrorBodyDto,
      description:
        'A parameter is missing, invalid or unknown, or an account_id is not one of the configured accounts; `fields` names it',
      examples: {
        invalid: { summary: 'An invalid parameter', value: examples.invalid ?? HOURS_INVALID },
        unknownAccount: {
          summary: 'An account outside the configured ones',
          value: errorBody(400, 'Bad Request', 'ACCOUNT_NOT_CONFIGURED', ACCOUNT_NOT_CONFIGURED_MESSAGE, {
            fields: [{ field: 'account_id', messages: [ACCOUNT_NOT_CONFIGURED_MESSAGE] }],
          }),
        },
      },
    }),
    ApiUnauthorizedResponse({
      type: ErrorBodyDto,
      description: 'The service runs with API_TOKENS and the bearer token is missing or not one of them',
      example: UNAUTHORIZED,
      headers: {
        'WWW-Authenticate': {
          description: 'How to authenticate',
          schema: { type: 'string', example: 'Bearer realm="iam-key-monitor"' },
        },
      },
    }),
    ApiTooManyRequestsResponse({
      type: ErrorBodyDto,
      description: 'Over RATE_LIMIT_PER_MINUTE for this client; see Retry-After',
      example: RATE_LIMITED,
      headers: RETRY_AFTER,
    }),
    ApiBadGatewayResponse({
      type: ScanErrorBodyDto,
      description:
        'Some accounts failed (ACCOUNTS_FAILED, every account listed in `accounts`; allow_partial=true answers 200 instead), or the account list could not be read (Organizations or STS refused the service)',
      examples: {
        iamDenied: { summary: 'IAM denied the one account scanned an action', value: examples.badGateway },
        accountsFailed: { summary: 'Some of several accounts could not be scanned', value: ACCOUNTS_FAILED_EXAMPLE },
        organizationsDenied: {
          summary: 'Organizations refused the account list',
          value: errorBody(
            502,
            'Bad Gateway',
            'ORGANIZATIONS_ACCESS_DENIED',
            'Organizations denied ListAccounts to the service (not the management or a delegated administrator account)',
            { action: 'ListAccounts' },
          ),
        },
      },
    }),
    ApiServiceUnavailableResponse({
      type: ScanErrorBodyDto,
      description: 'IAM throttled beyond retries, or the report is not ready; see Retry-After',
      examples: examples.unavailable,
      headers: RETRY_AFTER,
    }),
    ApiGatewayTimeoutResponse({
      type: ScanErrorBodyDto,
      description: 'An IAM call, or the scan past SCAN_MAX_DURATION_MS, timed out',
      example: examples.timeout,
    }),
  );
}

@ApiTags('old-access-keys')
@ApiBearerAuth()
@Controller({ path: 'iam/old-access-keys', version: '1' })
export class OldKeysController {
  constructor(
    private readonly scans: OrganizationScanService,
    private readonly oldKeys: OldKeysService,
    private readonly answers: PreparedAnswers,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Every configured account (or the asked ones); never a silent partial answer. Served from the bytes of the
   * last identical answer while that stays exact (see AnswerFreshness: the shared scans' TTL, each key's age to
   * its tenth of an hour, keys growing old enough to count), with an ETag and 304 for If-None-Match.
   */
  private async answer(
    req: Request,
    res: Response,
    source: ScanSource,
    query: ScanQuery,
    accountIds: string[] | undefined,
    allowPartial: boolean,
  ): Promise<void> {
    const key = answerKey(source, {
      hours: query.hours,
      include_inactive: query.includeInactive,
      account_id: accountIds,
      allow_partial: allowPartial,
    });
    await this.answers.send(req, res, {
      key,
      nowMs: this.clock.now().getTime(),
      build: async () => {
        const { value: result, validUntilMs } = await this.oldKeys.withFreshness(() =>
          this.scans.scan(source, query, { accountIds }),
        );
        const body = OldAccessKeysResponseDto.from(result);
        if (!result.complete && !allowPartial) {
          throw new AccountsFailedException(body.accounts, result.accounts);
        }
        return { value: body, validUntilMs };
      },
    });
  }

  @Get('list-users')
  @ApiOperation({
    summary: 'Scan IAM live (ListUsers, then ListAccessKeys per user) in every configured account',
  })
  @ApiOkResponse({
    type: OldAccessKeysResponseDto,
    description: 'The old keys, oldest first',
    example: LIST_USERS_RESPONSE_EXAMPLE,
  })
  @ApiOldKeysErrors({
    badGateway: denied('ListAccessKeys'),
    unavailable: { throttled: { summary: 'IAM throttled beyond retries', value: throttled('ListAccessKeys') } },
    timeout: timedOut('ListUsers'),
  })
  async listUsers(@Query() query: ListUsersQueryDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    const includeInactive = query.include_inactive ?? false;
    return this.answer(
      req,
      res,
      'list-users',
      { hours: query.hours, includeInactive },
      query.account_id,
      query.allow_partial ?? false,
    );
  }

  @Post('credential-report')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Answer from the IAM credential report of every configured account (cheap for large accounts, up to 4 h stale)',
  })
  @ApiOkResponse({
    type: OldAccessKeysResponseDto,
    description: 'The old keys, oldest first, and the root user\u2019s old keys',
    example: CREDENTIAL_REPORT_RESPONSE_EXAMPLE,
  })
  @ApiOldKeysErrors({
    badGateway: denied('GenerateCredentialReport'),
    unavailable: {
      throttled: { summary: 'IAM throttled beyond retries', value: throttled('GetCredentialReport') },
      notReady: {
        summary: 'The report is still being generated',
        value: soleAccount(
          503,
          'Service Unavailable',
          'IAM_REPORT_NOT_READY',
          'The credential report was not ready after 60 s (GenerateCredentialReport said STARTED)',
          { action: 'GetCredentialReport', retry_after_seconds: 10 },
        ),
      },
    },
    timeout: timedOut('GetCredentialReport'),
  })
  async credentialReport(
    @Body() body: CredentialReportBodyDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const includeInactive = body.include_inactive ?? false;
    return this.answer(
      req,
      res,
      'credential-report',
      { hours: body.hours, includeInactive },
      body.account_id,
      body.allow_partial ?? false,
    );
  }
}
