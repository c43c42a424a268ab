import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiGatewayTimeoutResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { OldKeysService } from '@app/iam';
import { ErrorBodyDto } from '@app/platform';
import { CredentialReportBodyDto, ListUsersQueryDto, OldAccessKeysResponseDto } from './old-keys.dto';

@ApiTags('old-access-keys')
@ApiBadRequestResponse({ type: ErrorBodyDto, description: 'A parameter is missing or invalid; `fields` names it' })
@ApiBadGatewayResponse({
  type: ErrorBodyDto,
  description: 'IAM refused the service (e.g. AccessDenied names the action)',
})
@ApiServiceUnavailableResponse({
  type: ErrorBodyDto,
  description: 'IAM throttled beyond retries, or the report is not ready; see Retry-After',
})
@ApiGatewayTimeoutResponse({ type: ErrorBodyDto, description: 'An IAM call timed out' })
@Controller({ path: 'iam/old-access-keys', version: '1' })
export class OldKeysController {
  constructor(private readonly oldKeys: OldKeysService) {}

  @Get('list-users')
  @ApiOperation({ summary: 'Scan IAM live (ListUsers, then ListAccessKeys per user)' })
  @ApiOkResponse({ type: OldAccessKeysResponseDto })
  async listUsers(@Query() query: ListUsersQueryDto): Promise<OldAccessKeysResponseDto> {
    const includeInactive = query.include_inactive ?? false;
    const result = await this.oldKeys.scan('list-users', { hours: query.hours, includeInactive });
    return OldAccessKeysResponseDto.from(result, query.hours, includeInactive);
  }

  @Post('credential-report')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Answer from the IAM credential report (cheap for large accounts, up to 4 h stale)' })
  @ApiOkResponse({ type: OldAccessKeysResponseDto })
  async credentialReport(@Body() body: CredentialReportBodyDto): Promise<OldAccessKeysResponseDto> {
    const includeInactive = body.include_inactive ?? false;
    const result = await this.oldKeys.scan('credential-report', { hours: body.hours, includeInactive });
    return OldAccessKeysResponseDto.from(result, body.hours, includeInactive);
  }
}
