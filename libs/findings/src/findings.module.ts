import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { findingsConfig } from './config/findings.config';
import { FileExemptionsProvider, systemClock } from './exemptions/file-exemptions.provider';
import { ExemptionsService } from './exemptions/exemptions.service';
import { FINDINGS_CLOCK } from './findings.constants';
import { FindingsService } from './findings.service';

const findingsConfigModule = ConfigModule.forFeature(findingsConfig);

@Module({
  imports: [findingsConfigModule],
  providers: [
    { provide: FINDINGS_CLOCK, useValue: systemClock },
    FileExemptionsProvider,
    ExemptionsService,
    FindingsService,
  ],
  exports: [findingsConfigModule, ExemptionsService, FindingsService],
})
export class FindingsModule {}
