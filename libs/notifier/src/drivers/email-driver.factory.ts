import type { NotifierConfig } from '../config/notifier.config';
import type { EmailDriver } from './email-driver.interface';

export interface EmailDrivers {
  ses: EmailDriver;
  dryRun: EmailDriver;
}

/** Provider factory for EMAIL_DRIVER: the configured driver, with a compile error if a new kind is not handled. */
export function selectEmailDriver(config: Pick<NotifierConfig, 'driver'>, drivers: EmailDrivers): EmailDriver {
  const kind = config.driver;
  switch (kind) {
    case 'ses':
      return drivers.ses;
    case 'dry-run':
      return drivers.dryRun;
    default: {
      const _exhaustive: never = kind;
      throw new Error(`Unknown email driver ${String(_exhaustive)}`);
    }
  }
}
