import type { FactoryProvider } from '@nestjs/common';
import { findingsConfig, type FindingsConfig } from '../config/findings.config';
import { FILE_EXEMPTIONS, FINDINGS_CLOCK } from '../findings.constants';
import type { Exemption } from './exemption.types';
import { loadExemptionsFile } from './exemptions-file.parser';

export type Clock = () => Date;

/** Read once at boot: a bad file stops the app before it serves, naming the line and field. */
export function fileExemptionsFactory(config: FindingsConfig, clock: Clock): Exemption[] {
  if (config.exemptionsFile === undefined) {
    return [];
  }
  return loadExemptionsFile(config.exemptionsFile, { now: clock(), maxDays: config.exemptionMaxDays });
}

export const FileExemptionsProvider: FactoryProvider<Exemption[]> = {
  provide: FILE_EXEMPTIONS,
  useFactory: fileExemptionsFactory,
  inject: [findingsConfig.KEY, FINDINGS_CLOCK],
};

export const systemClock: Clock = () => new Date();

/**
 * Reads EXEMPTIONS_FILE as the module will, for `validateAll` before Nest starts, so a bad or missing file stops the
 * process with one plain message instead of a provider's stack from Nest's injector. A bad findings variable is left
 * to findingsConfig's own check, so it is reported once.
 */
export function checkExemptionsFile(): void {
  let config: FindingsConfig;
  try {
    config = findingsConfig();
  } catch {
    return;
  }
  fileExemptionsFactory(config, systemClock);
}
