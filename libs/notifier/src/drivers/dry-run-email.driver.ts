import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { IAM_CLOCK, type Clock } from '@app/iam';
import { notifierConfig } from '../config/notifier.config';
import { NotifierErrorCode, NotifierException } from '../errors/notifier.exception';
import type { OutgoingEmail } from '../notifier.types';
import type { DeliveryReceipt, EmailDriver } from './email-driver.interface';
import { buildMimeMessage } from './mime';

/** One message per (kind, recipient), so the name is unique within a run and stable across runs. */
export function dryRunBaseName(email: Pick<OutgoingEmail, 'kind' | 'to'>): string {
  return `${email.kind}-${email.to.toLowerCase().replace(/[^a-z0-9@._+-]/g, '_')}`;
}

/** Sends nothing: writes each message as .eml (open it in a mail client) and .html (open it in a browser). */
@Injectable()
export class DryRunEmailDriver implements EmailDriver {
  readonly kind = 'dry-run' as const;

  constructor(
    @Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
  ) {}

  async deliver(email: OutgoingEmail): Promise<DeliveryReceipt> {
    const dir = resolve(this.config.dryRunDir ?? 'notifier-dry-run');
    const base = join(dir, dryRunBaseName(email));
    const eml = buildMimeMessage({ ...email, from: this.config.sender, date: this.clock.now() });
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(`${base}.eml`, eml, 'utf8');
      await writeFile(`${base}.html`, email.html, 'utf8');
    } catch (err) {
      throw new NotifierException(NotifierErrorCode.DryRunWriteFailed, `Could not write ${base}.eml: ${String(err)}`, {
        cause: err,
      });
    }
    return { files: [`${base}.eml`, `${base}.html`] };
  }
}
