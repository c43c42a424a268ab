import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RemediationRepository } from '@app/store';
import {
  DEFAULT_PAGE_SIZE,
  OUTCOME_MESSAGE,
  RemediationDecisionDto,
  RemediationsQueryDto,
  RemediationsResponseDto,
} from './remediations.dto';

/** The remediation job's decisions, read from the store only: the API holds no way to act on a key. */
@ApiTags('remediations')
@ApiBearerAuth()
@Controller({ path: 'remediations', version: '1' })
export class RemediationsController {
  constructor(private readonly remediations: RemediationRepository) {}

  @Get()
  @ApiOperation({
    summary:
      'Every decision of the remediation job (deactivated, spared and why, would act in dry-run, refused by a limit), newest first',
  })
  @ApiOkResponse({ type: RemediationsResponseDto })
  @ApiBadRequestResponse({
    description: 'A filter is not valid',
    example: {
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: OUTCOME_MESSAGE,
      fields: [{ field: 'outcome', messages: [OUTCOME_MESSAGE] }],
    },
  })
  async list(@Query() query: RemediationsQueryDto): Promise<RemediationsResponseDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.remediations.list({
      accountId: query.account_id,
      userName: query.user_name,
      accessKeyId: query.access_key_id,
      outcome: query.outcome,
      since: query.since === undefined ? undefined : new Date(query.since),
      until: query.until === undefined ? undefined : new Date(query.until),
      beforeId: query.cursor === undefined ? undefined : Number(query.cursor),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      remediations: page.map((d) => RemediationDecisionDto.from(d)),
      next_cursor: rows.length > limit ? String(page[page.length - 1].id) : null,
    };
  }
}
