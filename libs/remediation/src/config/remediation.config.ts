import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateBy } from 'class-validator';
import { ToInt, ToList, validateEnv } from '@app/platform';
import {
  parseRemediationWindow,
  RemediationWindowSyntaxError,
  type RemediationWindow,
} from '../window/remediation-window';

export const REMEDIATION_MODES = ['off', 'dry-run', 'enforce'] as const;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
export const DEFAULT_REMEDIATION_ROLE_NAME = 'IamKeyMonitorRemediation';
export const DEFAULT_REMEDIATION_WINDOW = 'Mon-Thu 09-16';

function windowProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return 'REMEDIATION_WINDOW must be a string like "Mon-Thu 09-16"';
  }
  try {
    parseRemediationWindow(value);
    return undefined;
  } catch (err) {
    if (err instanceof RemediationWindowSyntaxError) {
      return err.message;
    }
    throw err;
  }
}

/** The window's syntax checked with the other variables, so one boot names every bad one. */
const IsRemediationWindow = () =>
  ValidateBy({
    name: 'isRemediationWindow',
    validator: {
      validate: (value: unknown) => windowProblem(value) === undefined,
      defaultMessage: (args) => windowProblem(args?.value) ?? '',
    },
  });

export class RemediationEnv {
  @IsIn(REMEDIATION_MODES, { message: `REMEDIATION_MODE must be one of ${REMEDIATION_MODES.join(', ')}` })
  REMEDIATION_MODE: RemediationMode = 'off';

  /** Days after the final warning was accepted by SES before an expired key may be deactivated. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(365)
  REMEDIATION_GRACE_DAYS: number = 7;

  /** A key used within this many hours (read again right before acting) is spared. Unset: last use does not spare. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(8760)
  REMEDIATION_SPARE_USED_WITHIN_HOURS?: number;

  /** Unset: nothing is ever deleted. Set: keys this service deactivated, still Inactive, after this many days. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  REMEDIATION_DELETE_AFTER_DAYS?: number;

  /** A run that would take more actions than this takes none and tells the security team. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  REMEDIATION_MAX_PER_RUN: number = 10;

  /** The only accounts remediation may act in; unset or empty: none. */
  @IsOptional()
  @ToList()
  @Matches(/^\d{12}$/, { each: true, message: 'REMEDIATION_ACCOUNTS must list 12-digit account ids (comma separated)' })
  REMEDIATION_ACCOUNTS: string[] = [];

  @IsRemediationWindow()
  REMEDIATION_WINDOW: string = DEFAULT_REMEDIATION_WINDOW;

  /** While this file exists, no run starts an action (checked before each one). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  REMEDIATION_KILL_SWITCH_FILE?: string;

  /** The role assumed in member accounts for the writes and the re-checks; never the read-only one. */
  @Matches(ROLE_NAME, {
    message: 'REMEDIATION_ROLE_NAME must be an IAM role name: 1-64 of letters, digits and +=,.@_-',
  })
  REMEDIATION_ROLE_NAME: string = DEFAULT_REMEDIATION_ROLE_NAME;
}

export interface RemediationConfig {
  mode: RemediationMode;
  graceDays: number;
  spareUsedWithinHours?: number;
  deleteAfterDays?: number;
  maxPerRun: number;
  accounts: ReadonlySet<string>;
  window: RemediationWindow;
  killSwitchFile?: string;
  roleName: string;
}

export function loadRemediationConfig(raw: NodeJS.ProcessEnv | Record<string, string | undefined>): RemediationConfig {
  const env = validateEnv(RemediationEnv, raw);
  const window: RemediationWindow = parseRemediationWindow(env.REMEDIATION_WINDOW);
  return {
    mode: env.REMEDIATION_MODE,
    graceDays: env.REMEDIATION_GRACE_DAYS,
    spareUsedWithinHours: env.REMEDIATION_SPARE_USED_WITHIN_HOURS,
    deleteAfterDays: env.REMEDIATION_DELETE_AFTER_DAYS,
    maxPerRun: env.REMEDIATION_MAX_PER_RUN,
    accounts: new Set(env.REMEDIATION_ACCOUNTS),
    window,
    killSwitchFile: env.REMEDIATION_KILL_SWITCH_FILE,
    roleName: env.REMEDIATION_ROLE_NAME,
  };
}

export const remediationConfig = registerAs('remediation', (): RemediationConfig => loadRemediationConfig(process.env));
