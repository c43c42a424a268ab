import { applyDecorators, Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
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
import { MAX_HOURS, OldKeysService } from '@app/iam';
import { ErrorBodyDto } from '@app/platform';
import {
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
const denied = (action: string) =>
  errorBody(502, 'Bad Gateway', 'IAM_ACCESS_DENIED', `IAM denied ${action} to the service's credentials`, { action });
const throttled = (action: string) =>
  errorBody(503, 'Service Unavailable', 'IAM_THROTTLED', `IAM kept throttling ${action} beyond the retry budget`, {
    action,
    retry_after_seconds: 30,
  });
const timedOut = (action: string) =>
  errorBody(504, 'Gateway Timeout', 'IAM_TIMEOUT', `IAM did not answer ${action} in time`, { action });

interface ErrorExamples {
  badGateway: ErrorBodyDto;
  unavailable: Record<string, { summary: string; value: ErrorBodyDto }>;
  timeout: ErrorBodyDto;
}

/** Every error a /v1 route can answer, each with the shared body and a real example. */
function ApiOldKeysErrors(examples: ErrorExamples) {
  return applyDecorators(
    ApiBadRequestResponse({
      type: ErrorBodyDto,
      description: 'A parameter is missing, invalid or unknown; `fields` names it',
      example: HOURS_INVALID,
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
      type: ErrorBodyDto,
      description: 'IAM refused the service (AccessDenied names the action), or answered something unusable',
      example: examples.badGateway,
    }),
    ApiServiceUnavailableResponse({
      type: ErrorBodyDto,
      description: 'IAM throttled beyond retries, or the report is not ready; see Retry-After',
      examples: examples.unavailable,
      headers: RETRY_AFTER,
    }),
    ApiGatewayTimeoutResponse({ type: ErrorBodyDto, description: 'An IAM call timed out', example: examples.timeout }),
  );
}

@ApiTags('old-access-keys')
@ApiBearerAuth()
@Controller({ path: 'iam/old-access-keys', version: '1' })
export class OldKeysController {
  constructor(private readonly oldKeys: OldKeysService) {}

  @Get('list-users')
  @ApiOperation({ summary: 'Scan IAM live (ListUsers, then ListAccessKeys per user)' })
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
  async listUsers(@Query() query: ListUsersQueryDto): Promise<OldAccessKeysResponseDto> {
    const includeInactive = query.include_inactive ?? false;
    const result = await this.oldKeys.scan('list-users', { hours: query.hours, includeInactive });
    return OldAccessKeysResponseDto.from(result, query.hours, includeInactive);
  }

  @Post('credential-report')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Answer from the IAM credential report (cheap for large accounts, up to 4 h stale)' })
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
        value: errorBody(
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
  async credentialReport(@Body() body: CredentialReportBodyDto): Promise<OldAccessKeysResponseDto> {
    const includeInactive = body.include_inactive ?? false;
    const result = await this.oldKeys.scan('credential-report', { hours: body.hours, includeInactive });
    return OldAccessKeysResponseDto.from(result, body.hours, includeInactive);
  }
}
