import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ListUsersStrategy } from '@app/iam';
import { classifyKeys } from '../classify/classify-keys';
import { notifierConfig } from '../config/notifier.config';
import { EmailDeliveryService } from '../delivery/email-delivery.service';
import type { FallbackReason, NotifierSummary, OwnerResolution } from '../notifier.types';
import { OwnerResolverService } from '../owners/owner-resolver.service';
import { EmailRenderer } from '../render/email-renderer';
import { exitCodeFor } from './exit-code';
import { planEmails } from './plan-emails';

/** One run of the daily rotation notifier: scan, classify, find owners, send, and report in one summary line. */
@Injectable()
export class RotationNotifierJob {
  private readonly logger = new Logger(RotationNotifierJob.name);

  constructor(
    private readonly scanner: ListUsersStrategy,
    private readonly owners: OwnerResolverService,
    private readonly delivery: EmailDeliveryService,
    @Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>,
  ) {}

  async run(): Promise<NotifierSummary> {
    const started = performance.now();
    const summary: NotifierSummary = {
      event: 'notifier.summary',
      driver: this.delivery.driver.kind,
      usersSeen: 0,
      keysSeen: 0,
      warned: 0,
      expired: 0,
      invalidOwners: 0,
      ownersWithoutTag: 0,
      ownerLookupsFailed: 0,
      emailsPlanned: 0,
      emailsSent: 0,
      emailsFailed: 0,
      emailsSkipped: 0,
      exitCode: 0,
      durationMs: 0,
    };
    try {
      // Every key, not only the old ones, so the summary can say how many were seen; the cost is the same ListUsers pages.
      const scan = await this.scanner.scan({ hours: 0, includeInactive: this.config.includeInactive });
      const policy = { warnAgeDays: this.config.warnAgeDays, expireAgeDays: this.config.expireAgeDays };
      const keys = classifyKeys(scan.keys, scan.dataReadAt, policy);
      const owners = await this.owners.resolve(keys.map((k) => k.userName));
      const renderer = new EmailRenderer({
        now: scan.dataReadAt,
        policy,
        partition: this.config.partition,
        accountLabel: this.config.accountLabel,
      });
      const emails = planEmails(
        {
          keys,
          owners,
          fallbackRecipients: this.config.fallbackRecipients,
          keysSeen: scan.keys.length,
          usersSeen: scan.stats.usersSeen,
        },
        renderer,
      );
      Object.assign(summary, {
        usersSeen: scan.stats.usersSeen,
        keysSeen: scan.keys.length,
        warned: keys.filter((k) => k.state === 'warning').length,
        expired: keys.filter((k) => k.state === 'expired').length,
        invalidOwners: countFallbacks(owners, 'invalid-address'),
        ownersWithoutTag: countFallbacks(owners, 'missing-tag'),
        ownerLookupsFailed: countFallbacks(owners, 'lookup-failed'),
        emailsPlanned: emails.length,
      });
      const results = await this.delivery.deliverAll(emails);
      const delivered = results.filter((r) => r.ok).length;
      summary.emailsFailed = results.length - delivered;
      if (this.delivery.driver.kind === 'dry-run') {
        summary.emailsSkipped = delivered;
      } else {
        summary.emailsSent = delivered;
      }
    } catch (err) {
      summary.error = err instanceof Error ? err.message : String(err);
      this.logger.error({ msg: 'The notifier run failed', event: 'notifier.failed', error: summary.error });
    }
    summary.exitCode = exitCodeFor(summary);
    summary.durationMs = Math.round(performance.now() - started);
    this.logger.log({ msg: 'The notifier run finished', ...summary });
    return summary;
  }
}

function countFallbacks(owners: ReadonlyMap<string, OwnerResolution>, reason: FallbackReason): number {
  let count = 0;
  for (const owner of owners.values()) {
    if (owner.kind === 'fallback' && owner.reason === reason) {
      count++;
    }
  }
  return count;
}
