import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'hours' })
  field: string;

  @ApiProperty({ example: ['hours must be an integer from 0 to 876000'] })
  messages: string[];
}

/** Every error the API returns has this shape, whatever produced it. */
export class ErrorBodyDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable machine-readable code' })
  code: string;

  @ApiProperty({ example: 'hours must be an integer from 0 to 876000' })
  message: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  fields?: FieldErrorDto[];

  @ApiPropertyOptional({ example: 'ListAccessKeys', description: 'The IAM action that failed' })
  action?: string;

  @ApiPropertyOptional({ example: 30, description: 'Seconds to wait before retrying (also in Retry-After)' })
  retry_after_seconds?: number;

  @ApiPropertyOptional({ example: '2f1c9a4e-6d0b-4a51-9f7e-3b2d1c0a9e88', description: 'Quote it to the operators' })
  error_id?: string;
}
