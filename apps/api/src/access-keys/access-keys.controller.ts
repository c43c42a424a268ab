import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InventoryService } from '@app/findings';
import { AccountsFailedException } from '../old-keys/accounts-failed.exception';
import { ApiOldKeysErrors, denied, throttled, timedOut } from '../old-keys/old-keys.controller';
import {
  ACCESS_KEYS_RESPONSE_EXAMPLE,
  AccessKeysQueryDto,
  AccessKeysResponseDto,
  FINDING_MESSAGE,
} from './access-keys.dto';

@ApiTags('access-keys')
@ApiBearerAuth()
@Controller({ path: 'iam/access-keys', version: '1' })
export class AccessKeysController {
  constructor(private readonly inventory: InventoryService) {}

  @Get()
  @ApiOperation({
    summary:
      'Every access key of every configured account with last use, findings (old, unused, never_used, two_active) and exemption',
  })
  @ApiOkResponse({
    type: AccessKeysResponseDto,
    description: 'The keys after the filters, oldest first; every root key, whatever the filters',
    example: ACCESS_KEYS_RESPONSE_EXAMPLE,
  })
  @ApiOldKeysErrors({
    invalid: {
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: FINDING_MESSAGE,
      fields: [{ field: 'finding', messages: [FINDING_MESSAGE] }],
    },
    badGateway: denied('GetAccessKeyLastUsed'),
    unavailable: { throttled: { summary: 'IAM throttled beyond retries', value: throttled('ListAccessKeys') } },
    timeout: timedOut('GetCredentialReport'),
  })
  async list(@Query() query: AccessKeysQueryDto): Promise<AccessKeysResponseDto> {
    const result = await this.inventory.inventory({
      source: query.source ?? 'credential-report',
      accountIds: query.account_id,
      findings: query.finding,
      status: query.status,
      includeExempted: query.include_exempted ?? false,
      thresholds: {
        rotationMaxAgeHours: query.older_than_hours,
        unusedMaxDays: query.unused_days,
        neverUsedGraceHours: query.never_used_grace_hours,
      },
    });
    const body = AccessKeysResponseDto.from(result);
    if (!result.complete && !(query.allow_partial ?? false)) {
      throw new AccountsFailedException(body.accounts, result.accounts);
    }
    return body;
  }
}
