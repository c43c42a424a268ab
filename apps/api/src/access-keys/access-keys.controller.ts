import { Controller, Get, Inject, type OnModuleInit, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IAM_CLOCK, type Clock } from '@app/iam';
import { StoredInventoryService } from '@app/scans';
import { InventoryChangeFeed } from '@app/store';
import type { Request, Response } from 'express';
import { answerKey, PreparedAnswers } from '../http/prepared-answers';
import { AccountsFailedException } from '../old-keys/accounts-failed.exception';
import { ApiOldKeysErrors, timedOut } from '../old-keys/old-keys.controller';
import {
  ACCESS_KEYS_RESPONSE_EXAMPLE,
  AccessKeysQueryDto,
  AccessKeysResponseDto,
  FINDING_MESSAGE,
} from './access-keys.dto';

const ROUTE_KEY = 'access-keys';

@ApiTags('access-keys')
@ApiBearerAuth()
@Controller({ path: 'iam/access-keys', version: '1' })
export class AccessKeysController implements OnModuleInit {
  constructor(
    private readonly inventory: StoredInventoryService,
    private readonly answers: PreparedAnswers,
    private readonly changes: InventoryChangeFeed,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
  ) {}

  /** A kept answer goes the moment the stored inventory changes, whichever process changed it. */
  async onModuleInit(): Promise<void> {
    await this.changes.subscribe(() => this.answers.cache.forget(ROUTE_KEY));
  }

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
  async list(@Query() query: AccessKeysQueryDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    const allowPartial = query.allow_partial ?? false;
    const nowMs = this.clock.now().getTime();
    // An ETag per answer, so a polling dashboard gets 304 and no body; the bytes are served again until an age,
    // finding or exemption in them moves, or the stored inventory changes.
    await this.answers.send(req, res, {
      key: answerKey(ROUTE_KEY, {
        source: query.source,
        max_age_seconds: query.max_age_seconds,
        account_id: query.account_id,
        finding: query.finding,
        status: query.status,
        include_exempted: query.include_exempted ?? false,
        older_than_hours: query.older_than_hours,
        unused_days: query.unused_days,
        never_used_grace_hours: query.never_used_grace_hours,
        allow_partial: allowPartial,
      }),
      nowMs,
      build: async () => {
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
        if (!result.complete && !allowPartial) {
          throw new AccountsFailedException(body.accounts, result.accounts);
        }
        return { value: body, validUntilMs: result.validUntilMs };
      },
    });
  }
}
