import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ExemptionsService, type Exemption } from '@app/findings';
import type { AccountOutcome, OrganizationScanOptions, OrganizationScanResult, ScanQuery, ScanSource } from '@app/iam';
import { classifyKeys } from '../classify/classify-keys';
import { notifierConfig } from '../config/notifier.config';
import { EmailDeliveryService } from '../delivery/email-delivery.service';
import { applyKeyExemptions, type KeyExemptions } from '../exemptions/key-exemptions';
import { NotifierLadderService } from '../ladder/notifier-ladder.service';
import { KEY_SCANNER } from '../notifier.constants';
import {
  ownerKey,
  type ClassifiedKey,
  type FallbackReason,
  type NotifierSummary,
  type OwnerMap,
} from '../notifier.types';
import { OwnerResolverService } from '../owners/owner-resolver.service';
import { accountText, EmailRenderer } from '../render/email-renderer';
import { exitCodeFor } from './exit-code';
import { planEmails } from './plan-emails';

/** Scans every configured account (the own one in self mode) into one answer that lists each account's outcome. */
export interface KeyScanner {
  scan(source: ScanSource, query: ScanQuery, options?: OrganizationScanOptions): Promise<OrganizationScanResult>;
}

type FailedAccount = Extract<AccountOutcome, { status: 'failed' }>;

/** One run of the daily rotation notifier: scan, classify, find owners, send, and report in one summary line. */
@Injectable()
export class RotationNotifierJob {
  private readonly logger = new Logger(RotationNotifierJob.name);

  constructor(
    @Inject(KEY_SCANNER) private readonly scanner: KeyScanner,
    private readonly owners: OwnerResolverService,
    private readonly delivery: EmailDeliveryService,
    @Inject(notifierConfig.KEY) private readonly config: ConfigType<typeof notifierConfig>,
    private readonly ladders: NotifierLadderService,
    @Optional() private readonly exemptions?: ExemptionsService,
  ) {}

  async run(): Promise<NotifierSummary> {
    const started = performance.now();
    const summary: NotifierSummary = {
      event: 'notifier.summary',
      driver: this.delivery.driver.kind,
      accountsOk: 0,
      accountsFailed: 0,
      accountsSkipped: 0,
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
      exempted: 0,
      exemptionsLapsed: 0,
      laddersOpened: 0,
      laddersClosed: 0,
      keysByStage: {},
      stagesSent: {},
      stagesPending: 0,
      digestSent: false,
      medianRotationDays30: null,
      medianRotationDays90: null,
      exitCode: 0,
      durationMs: 0,
    };
    try {
      // Every key, not only the old ones, so the summary can say how many were seen; the cost is the same ListUsers pages.
      // Inactive ones too: a ladder's key found Inactive was deactivated, not deleted.
      const scan = await this.scanner.scan('list-users', { hours: 0, includeInactive: true });
      const scanned = this.config.includeInactive ? scan.keys : scan.keys.filter((k) => k.status === 'Active');
      const failed = scan.accounts.filter((a): a is FailedAccount => a.status === 'failed');
      const readAt = new Map<string, Date>();
      for (const account of scan.accounts) {
        if (account.status === 'ok') {
          readAt.set(account.accountId, account.dataReadAt);
          summary.usersSeen += account.stats.usersSeen;
        }
      }
      Object.assign(summary, {
        accountsOk: readAt.size,
        accountsFailed: failed.length,
        accountsSkipped: scan.accounts.filter((a) => a.status === 'skipped').length,
        ...(failed.length > 0 ? { failedAccounts: failed.map((a) => a.accountId) } : {}),
      });
      for (const account of failed) {
        this.logger.error({
          msg: 'An account could not be scanned: its keys were not checked',
          event: 'notifier.account-failed',
          accountId: account.accountId,
          accountName: account.accountName,
          code: account.code,
          action: account.action,
          error: account.message,
        });
      }
      if (readAt.size === 0 && failed.length > 0) {
        // Nothing was checked at all: a run that failed, not a digest with an empty table.
        throw new Error(
          `No account could be scanned: ${failed.map((a) => `${accountText(a)}: ${a.message}`).join('; ')}`,
        );
      }
      const now = scan.dataReadAt ?? new Date();
      const policy = { warnAgeDays: this.config.warnAgeDays, expireAgeDays: this.config.expireAgeDays };
      const keys = classifyKeys(scanned, (accountId) => readAt.get(accountId) ?? now, policy);
      const tagsRead = new Map<string, Record<string, string>>();
      const owners = await this.owners.resolve(keys, tagsRead);
      const { remind, ...exemptions } = this.exemptionsOf(keys, tagsRead, now);
      const ladder = await this.ladders.sync({
        now,
        readAt: (accountId) => readAt.get(accountId) ?? now,
        okAccounts: new Set(readAt.keys()),
        scanned: scan.keys,
        remind,
      });
      const [resolved, changes] = await Promise.all([this.ladders.unreported(), this.ladders.digestChanges(now)]);
      const renderer = new EmailRenderer({
        now,
        policy,
        partition: this.config.partition,
        accountLabel: this.config.accountLabel,
        ladder: this.ladders.policy,
      });
      const emails = planEmails(
        {
          keys: ladder.due,
          open: remind,
          resolved,
          changes,
          owners,
          fallbackRecipients: this.config.fallbackRecipients,
          keysSeen: scanned.length,
          usersSeen: summary.usersSeen,
          accounts: scan.accounts,
          exemptions,
        },
        renderer,
      );
      Object.assign(summary, {
        laddersOpened: ladder.opened,
        laddersClosed: ladder.closed.length,
        keysSeen: scanned.length,
        warned: keys.filter((k) => k.state === 'warning').length,
        expired: keys.filter((k) => k.state === 'expired').length,
        invalidOwners: countFallbacks(owners, 'invalid-address'),
        ownersWithoutTag: countFallbacks(owners, 'missing-tag'),
        ownerLookupsFailed: countFallbacks(owners, 'lookup-failed'),
        emailsPlanned: emails.length,
        exempted: exemptions.exempted.length,
        exemptionsLapsed: exemptions.lapsed.length,
      });
      // Each message recorded as soon as SES accepted it: a crash loses at most the few in flight (sent once more).
      const results = await this.delivery.deliverAll(emails, (result) => this.ladders.recordDelivery(result, now));
      summary.stagesSent = this.ladders.stagesRecorded();
      summary.stagesPending = ladder.due.length - Object.values(summary.stagesSent).reduce((sum, n) => sum + n, 0);
      summary.keysByStage = this.ladders.keysByStage();
      summary.digestSent = results.some((r) => r.ok && r.email.kind === 'digest');
      const rotation = changes ?? (await this.ladders.rotationTimes(now));
      summary.medianRotationDays30 = rotation.rotation30.medianDays;
      summary.medianRotationDays90 = rotation.rotation90.medianDays;
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

  /** The file's exemptions and each user's tag exemption (from the tags the owner lookup read) applied to the keys. */
  private exemptionsOf(
    keys: readonly ClassifiedKey[],
    tagsRead: ReadonlyMap<string, Record<string, string>>,
    now: Date,
  ): KeyExemptions {
    if (!this.exemptions) {
      return { remind: [...keys], exempted: [], lapsed: [], expiring: [], expiredRecently: [] };
    }
    const tagExemptions = new Map<string, Exemption>();
    for (const key of keys) {
      const id = ownerKey(key);
      const tags = tagsRead.get(id);
      if (!tags || tagExemptions.has(id)) {
        continue;
      }
      const { exemption, problem } = this.exemptions.fromTags({
        accountId: key.accountId,
        userName: key.userName,
        tags,
        now,
      });
      if (exemption) {
        tagExemptions.set(id, exemption);
      } else if (problem) {
        this.logger.warn({ msg: problem, event: 'notifier.exemption-tag-invalid', accountId: key.accountId });
      }
    }
    return applyKeyExemptions({ keys, declared: this.exemptions.declared, tagExemptions, now });
  }
}

function countFallbacks(owners: OwnerMap, reason: FallbackReason): number {
  let count = 0;
  for (const owner of owners.values()) {
    if (owner.kind === 'fallback' && owner.reason === reason) {
      count++;
    }
  }
  return count;
}
