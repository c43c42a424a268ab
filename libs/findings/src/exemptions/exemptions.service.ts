import { Inject, Injectable } from '@nestjs/common';
import { findingsConfig, type FindingsConfig } from '../config/findings.config';
import { FILE_EXEMPTIONS } from '../findings.constants';
import type { FindingCode } from '../findings.types';
import { exemptionFromTags, type TagExemptionInput, type TagExemptionResult } from './exemption-tags';
import {
  expiredBetween,
  expiringWithin,
  resolveExemption,
  staleExemptions,
  type ExemptionOutcome,
  type KeyIdentity,
  type ScannedKey,
} from './exemption.matcher';
import type { Exemption } from './exemption.types';

/** The file's exemptions (loaded once at boot) and the user-tag ones, under one EXEMPTION_MAX_DAYS. */
@Injectable()
export class ExemptionsService {
  constructor(
    @Inject(FILE_EXEMPTIONS) private readonly fileExemptions: Exemption[],
    @Inject(findingsConfig.KEY) private readonly config: FindingsConfig,
  ) {}

  /** In file order, as declared. */
  get declared(): readonly Exemption[] {
    return this.fileExemptions;
  }

  fromTags(input: Omit<TagExemptionInput, 'maxDays'>): TagExemptionResult {
    return exemptionFromTags({ ...input, maxDays: this.config.exemptionMaxDays });
  }

  /** The file's entries come before a user's tag exemption: a reviewed entry is the better one to report. */
  resolve(key: KeyIdentity, findings: readonly FindingCode[], now: Date, tagExemption?: Exemption): ExemptionOutcome {
    const candidates = tagExemption ? [...this.fileExemptions, tagExemption] : this.fileExemptions;
    return resolveExemption(key, findings, candidates, now);
  }

  stale(scanned: readonly ScannedKey[], now: Date, scannedAccountIds?: ReadonlySet<string>): Exemption[] {
    return staleExemptions(this.fileExemptions, scanned, now, scannedAccountIds);
  }

  expiringWithin(days: number, now: Date): Exemption[] {
    return expiringWithin(this.fileExemptions, now, days);
  }

  expiredBetween(since: Date, now: Date): Exemption[] {
    return expiredBetween(this.fileExemptions, since, now);
  }
}
