import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'hours', description: 'The parameter or body field at fault' })
  field: string;

  @ApiProperty({ example: ['hours must be an integer from 0 to 876000'] })
  messages: string[];
}

/** Every error the API returns has this shape, whatever produced it. */
export class ErrorBodyDto {
  @ApiProperty({ example: 400, description: 'The HTTP status, repeated' })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request', description: 'The HTTP reason phrase' })
  error: string;

  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable machine-readable code' })
  code: string;

  @ApiProperty({
    example: 'hours must be an integer from 0 to 876000',
    description: 'For people; never carries AWS\u2019s own error text',
  })
  message: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'On 400: each invalid field and why' })
  fields?: FieldErrorDto[];

  @ApiPropertyOptional({ example: 'ListAccessKeys', description: 'On 502/503/504: the IAM action that failed' })
  action?: string;

  @ApiPropertyOptional({
    example: 30,
    description: 'On 429/503: seconds to wait before retrying (also in Retry-After)',
  })
  retry_after_seconds?: number;

  @ApiPropertyOptional({
    example: '2f1c9a4e-6d0b-4a51-9f7e-3b2d1c0a9e88',
    description: 'On 500: quote it to the operators; the logs carry the same id',
  })
  error_id?: string;
}

/** Reason phrases pinned here, so the `error` and `code` an API client reads never change with Node's table. */
const HTTP_REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function httpReason(status: number): string {
  return HTTP_REASONS[status] ?? 'Error';
}

/** The stable code of a status without a more specific one: `Payload Too Large` is `PAYLOAD_TOO_LARGE`. */
export function httpErrorCode(status: number): string {
  return httpReason(status).toUpperCase().replace(/ /g, '_');
}
