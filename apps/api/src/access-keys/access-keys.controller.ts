import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiGatewayTimeoutResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { InventoryService } from '@app/findings';
import { ErrorBodyDto } from '@app/platform';
import { AccountsFailedException } from '../old-keys/accounts-failed.exception';
import { ScanErrorBodyDto } from '../old-keys/old-keys.dto';
import { AccessKeysQueryDto, AccessKeysResponseDto } from './access-keys.dto';

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
  @ApiOkResponse({ type: AccessKeysResponseDto, description: 'The keys, oldest first; every root key' })
  @ApiBadRequestResponse({ type: ErrorBodyDto, description: 'A parameter is invalid or unknown; `fields` names it' })
  @ApiBadGatewayResponse({
    type: ScanErrorBodyDto,
    description: 'Some accounts failed (ACCOUNTS_FAILED; allow_partial=true answers 200), or IAM refused the service',
  })
  @ApiServiceUnavailableResponse({
    type: ScanErrorBodyDto,
    description: 'IAM throttled beyond retries; see Retry-After',
  })
  @ApiGatewayTimeoutResponse({ type: ScanErrorBodyDto, description: 'An IAM call or the scan timed out' })
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
