import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { ToInt, validateEnv } from '@app/platform';
import type { FindingThresholds } from '../findings.types';

const MAX_HOURS = 876_000;
const MAX_DAYS = MAX_HOURS / 24;

export class FindingsEnv {
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_HOURS)
  ROTATION_MAX_AGE_HOURS: number = 2160;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_DAYS)
  UNUSED_MAX_DAYS: number = 45;

  /** A key made last week for a deploy is not a finding yet. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(MAX_HOURS)
  NEVER_USED_GRACE_HOURS: number = 1080;

  /** YAML exemptions, mounted from a ConfigMap: its git history and review are the approval trail. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  EXEMPTIONS_FILE?: string;

  /** No exemption, in the file or in a user's tags, may reach further ahead than this. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  EXEMPTION_MAX_DAYS: number = 180;
}

export interface FindingsConfig {
  thresholds: FindingThresholds;
  exemptionsFile?: string;
  exemptionMaxDays: number;
}

export function loadFindingsConfig(raw: NodeJS.ProcessEnv | Record<string, string | undefined>): FindingsConfig {
  const env = validateEnv(FindingsEnv, raw);
  return {
    thresholds: {
      rotationMaxAgeHours: env.ROTATION_MAX_AGE_HOURS,
      unusedMaxDays: env.UNUSED_MAX_DAYS,
      neverUsedGraceHours: env.NEVER_USED_GRACE_HOURS,
    },
    exemptionsFile: env.EXEMPTIONS_FILE,
    exemptionMaxDays: env.EXEMPTION_MAX_DAYS,
  };
}

export const findingsConfig = registerAs('findings', (): FindingsConfig => loadFindingsConfig(process.env));
