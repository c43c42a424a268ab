import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { StoredInventoryService } from '@app/scans';
import { AccountsFailedException } from '../old-keys/accounts-failed.exception';
import { ApiOldKeysErrors, timedOut } from '../old-keys/old-keys.controller';
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
  constructor(private readonly inventory: StoredInventoryService) {}

  @Get()
  @ApiOperation({
    summary:
      'Every access key of every configured account with last use, findings (old, unused, never_used, two_active) and exemption, from the latest stored inventory (no IAM call unless max_age_seconds asks for a scan)',
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
    badGateway: {
      statusCode: 502,
      error: 'Bad Gateway',
      code: 'ACCOUNTS_FAILED',
      message: '1 of 3 accounts has no inventory: 222222222222 (ACCOUNT_ACCESS_DENIED)',
    },
    unavailable: {
      notFresh: {
        summary: 'No scan brought data as fresh as max_age_seconds asked within SCAN_WAIT_SECONDS',
        value: {
          statusCode: 503,
          error: 'Service Unavailable',
          code: 'INVENTORY_NOT_FRESH',
          message: 'No inventory as fresh as asked within SCAN_WAIT_SECONDS (30 s); scan 42 is still running',
          retry_after_seconds: 10,
        },
      },
    },
    timeout: timedOut('GetCredentialReport'),
  })
  async list(@Query() query: AccessKeysQueryDto): Promise<AccessKeysResponseDto> {
    const result = await this.inventory.read({
      source: query.source,
      maxAgeSeconds: query.max_age_seconds,
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
