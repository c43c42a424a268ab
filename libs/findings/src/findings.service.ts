import { Inject, Injectable } from '@nestjs/common';
import { findingsConfig, type FindingsConfig } from './config/findings.config';
import type { FindingThresholds, KeyFacts, KeyFindings } from './findings.types';
import { findingsForAll } from './policy/findings.policy';

/** The findings policy with the configured thresholds; a request may override any of them for itself. */
@Injectable()
export class FindingsService {
  constructor(@Inject(findingsConfig.KEY) private readonly config: FindingsConfig) {}

  get thresholds(): FindingThresholds {
    return { ...this.config.thresholds };
  }

  evaluate<K extends KeyFacts>(
    keys: readonly K[],
    now: Date,
    overrides: Partial<FindingThresholds> = {},
  ): KeyFindings<K>[] {
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    return findingsForAll(keys, now, { ...this.config.thresholds, ...defined });
  }
}
