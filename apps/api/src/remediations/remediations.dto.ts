import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import { REMEDIATION_OUTCOMES, type RemediationDecision, type RemediationOutcome } from '@app/store';

export { REMEDIATION_OUTCOMES };
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 100;

const QueryInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value,
  );

export const OUTCOME_MESSAGE = `outcome must be one of ${REMEDIATION_OUTCOMES.join(', ')}`;

export class RemediationsQueryDto {
  @ApiPropertyOptional({ example: '111111111111', description: 'Only decisions about keys of this account' })
  @IsOptional()
  @Matches(/^\d{12}$/, { message: 'account_id must be a 12-digit AWS account id' })
  account_id?: string;

  @ApiPropertyOptional({ example: 'deploy-bot', description: 'Only decisions about keys of this IAM user' })
  @IsOptional()
  @Matches(/^[\w+=,.@-]{1,64}$/, { message: 'user_name must be an IAM user name' })
  user_name?: string;

  @ApiPropertyOptional({ example: 'AKIAIOSFODNN7EXAMPLE', description: 'Only decisions about this key' })
  @IsOptional()
  @Matches(/^[A-Z0-9]{16,128}$/, { message: 'access_key_id must be an access key id' })
  access_key_id?: string;

  @ApiPropertyOptional({ enum: REMEDIATION_OUTCOMES, description: 'Only decisions with this outcome' })
  @IsOptional()
  @IsIn(REMEDIATION_OUTCOMES, { message: OUTCOME_MESSAGE })
  outcome?: RemediationOutcome;

  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'Decided at or after this instant (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date-time' })
  since?: string;

  @ApiPropertyOptional({
    example: '2026-12-01T00:00:00Z',
    description: 'Decided strictly before this instant (ISO 8601)',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 date-time' })
  until?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Page size' })
  @IsOptional()
  @QueryInt()
  @IsInt({ message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @Min(1, { message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  limit?: number;

  @ApiPropertyOptional({ description: "The previous page's next_cursor" })
  @IsOptional()
  @Matches(/^\d{1,15}$/, { message: "cursor must be a previous page's next_cursor" })
  cursor?: string;
}

export class RemediationDecisionDto {
  @ApiProperty({ example: 42 })
  id!: number;

  @ApiProperty({ example: 7, description: 'The remediation run that took the decision' })
  run_id!: number;

  @ApiProperty({ example: '111111111111' })
  account_id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'deploy-bot' })
  user_name!: string | null;

  @ApiProperty({ example: 'AKIAIOSFODNN7EXAMPLE' })
  access_key_id!: string;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 12,
    description: "The notifier's ladder the decision was taken on (null for keys warned before ladders)",
  })
  ladder_id!: number | null;

  @ApiProperty({ enum: REMEDIATION_OUTCOMES, example: 'deactivated' })
  outcome!: RemediationOutcome;

  @ApiProperty({
    example: 'expired-past-grace',
    description:
      'Why: expired-past-grace, in-grace-period, final-warning-not-delivered, exempted, used-recently, key-gone, ' +
      'key-changed, not-active, account-not-allowed, outside-window, over-max-per-run, kill-switch, ' +
      'reactivated-after-deactivation, before-deactivation, inactive-since-deactivation, *-failed',
  })
  reason!: string;

  @ApiProperty({ enum: ['dry-run', 'enforce'] })
  mode!: 'dry-run' | 'enforce';

  @ApiProperty({ example: '2026-11-24T10:00:00.000Z' })
  decided_at!: string;

  @ApiPropertyOptional({ type: Object, nullable: true, description: 'What the decision rested on (last use, dates)' })
  detail!: Record<string, unknown> | null;

  static from(d: RemediationDecision): RemediationDecisionDto {
    return {
      id: d.id,
      run_id: d.runId,
      account_id: d.accountId,
      user_name: d.userName,
      access_key_id: d.accessKeyId,
      ladder_id: d.ladderId,
      outcome: d.outcome,
      reason: d.reason,
      mode: d.mode,
      decided_at: d.decidedAt.toISOString(),
      detail: d.detail ?? null,
    };
  }
}

export class RemediationsResponseDto {
  @ApiProperty({ type: [RemediationDecisionDto], description: 'Newest first' })
  remediations!: RemediationDecisionDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  next_cursor!: string | null;
}
