import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InventoryScanRunner, ScansErrorCode, ScansException } from '@app/scans';
import { ScansRepository } from '@app/store';
import type { Response } from 'express';
import { ScanIdPipe } from './scan-id.pipe';
import { ScanStartedDto, ScanViewDto, StartScanDto } from './scans.dto';

@ApiTags('scans')
@ApiBearerAuth()
@Controller({ path: 'scans', version: '1' })
export class ScansController {
  constructor(
    private readonly runner: InventoryScanRunner,
    private readonly scans: ScansRepository,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Start an inventory scan now (or join the one running); it is kept in the store as it completes',
  })
  @ApiAcceptedResponse({ type: ScanStartedDto, headers: { Location: { description: '/v1/scans/{id}' } } })
  async start(@Body() body: StartScanDto, @Res({ passthrough: true }) res: Response): Promise<ScanStartedDto> {
    const scan = await this.runner.start({ trigger: 'on-demand', source: body.source, accountIds: body.account_id });
    // The scan goes on after this answer; its failures are the scan's own, recorded per account.
    scan.done.catch(() => undefined);
    const location = `/v1/scans/${scan.scanId}`;
    res.setHeader('Location', location);
    return { scan_id: scan.scanId, joined: scan.joined, location };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A scan and its progress per account' })
  @ApiOkResponse({ type: ScanViewDto })
  async get(@Param('id', ScanIdPipe) id: number): Promise<ScanViewDto> {
    const view = await this.scans.get(id);
    if (!view) {
      throw new ScansException(ScansErrorCode.ScanNotFound, `There is no scan ${id}`, { scanId: id });
    }
    return ScanViewDto.from(view);
  }
}
