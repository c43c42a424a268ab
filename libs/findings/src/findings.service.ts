import { Inject, Injectable } from '@nestjs/common';
import { findingsConfig, type FindingsConfig } from './config/findings.config';
import type { FindingThresholds, KeyFacts, KeyFindings } from './findings.types';
import { findingsChangeAt, findingsForAll } from './policy/findings.policy';

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
    return findingsForAll(keys, now, this.merged(overrides));
  }

  /** The first instant after `now` at which {@link evaluate} of these keys gives other findings; Infinity if none. */
  changeAt(keys: readonly KeyFacts[], now: Date, overrides: Partial<FindingThresholds> = {}): number {
    const thresholds = this.merged(overrides);
    const nowMs = now.getTime();
    let at = Infinity;
    for (const key of keys) {
      at = Math.min(at, findingsChangeAt(key, nowMs, thresholds));
    }
    return at;
  }

  private merged(overrides: Partial<FindingThresholds>): FindingThresholds {
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    return { ...this.config.thresholds, ...defined };
  }
}
