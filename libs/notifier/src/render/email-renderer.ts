import type { Exemption } from '@app/findings';
import type { AccountOutcome } from '@app/iam';
import type { AgePolicy } from '../classify/classify-keys';
import { accountSignInUrl, securityCredentialsUrl, type AwsPartition } from '../config/partition';
import { DIGEST_EXPIRING_DAYS, type KeyExemptions } from '../exemptions/key-exemptions';
import type { LadderPolicy, LadderStage } from '../ladder/ladder';
import type { DigestChanges } from '../ladder/notifier-ladder.service';
import { DAY_MS } from '../notifier.constants';
import { ownerKey, type ClassifiedKey, type OwnerMap, type OwnerResolution, type ResolvedKey } from '../notifier.types';
import { html, SafeHtml } from './html';

export interface RenderContext {
  now: Date;
  policy: AgePolicy;
  partition: AwsPartition;
  accountLabel?: string;
  /** The ladder's stages, for the owner's line on how often they hear from us. */
  ladder?: LadderPolicy;
}

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}

export interface DigestInput {
  keys: readonly ClassifiedKey[];
  owners: OwnerMap;
  keysSeen: number;
  usersSeen: number;
  /** Every configured account and how its scan went; failed ones are shown first, as not checked. */
  accounts: readonly AccountOutcome[];
  /** Exempted keys, lapsed exemptions and those about to lapse; their sections come after the keys. */
  exemptions?: Omit<KeyExemptions, 'remind'>;
  /** What changed since the previous digest (from the store's ladders); its sections come after the keys. */
  changes?: DigestChanges;
}

export function stageLabel(stage: LadderStage): string {
  switch (stage) {
    case 'warning':
      return 'Warning';
    case 'final':
      return 'Final warning';
    case 'expired':
      return 'Expired';
    default:
      return `Reminder ${stage.slice('reminder-'.length)}`;
  }
}

function resolutionText(r: ResolvedKey): string {
  switch (r.resolution) {
    case 'rotated':
      return r.rotatedTo ? `Rotated (new key ${r.rotatedTo})` : 'Rotated';
    case 'deleted':
      return 'Deleted';
    case 'deactivated':
      return 'Deactivated';
    default: {
      const _exhaustive: never = r.resolution;
      return String(_exhaustive);
    }
  }
}

function medianText(t: DigestChanges['rotation30'], windowDays: number): string {
  return t.medianDays === null
    ? `none rotated in the last ${windowDays} days`
    : `${t.medianDays.toFixed(1)} days over the last ${windowDays} days (${plural(t.rotations, 'key')})`;
}

/** Whether the digest has exemption news worth a message even when no key is due. */
export function hasExemptionNews(exemptions: DigestInput['exemptions']): boolean {
  return (
    exemptions !== undefined &&
    (exemptions.lapsed.length > 0 || exemptions.expiring.length > 0 || exemptions.expiredRecently.length > 0)
  );
}

function matchText(e: Exemption): string {
  const { accountId, userName, accessKeyId } = e.match;
  return [
    accountId && `account ${accountId}`,
    userName && `user ${userName}`,
    accessKeyId && `key ${accessKeyId}`,
    e.source === 'tag' ? '(user tags)' : e.line !== undefined ? `(file line ${e.line})` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

const COLORS = {
  expired: '#b42318',
  warning: '#b54708',
  muted: '#667085',
  border: '#eaecf0',
  head: '#f9fafb',
  alert: '#fef3f2',
};

export function formatDate(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function days(n: number): string {
  return `${n} day${n === 1 ? '' : 's'}`;
}

function keys(n: number): string {
  return `${n} AWS access key${n === 1 ? '' : 's'}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `123456789012 (prod)`, or the id alone when Organizations gave no name. */
export function accountText(account: { accountId: string; accountName?: string }): string {
  return account.accountName ? `${account.accountId} (${account.accountName})` : account.accountId;
}

function ownerText(resolution: OwnerResolution | undefined): string {
  if (!resolution) {
    return 'unknown';
  }
  switch (resolution.kind) {
    case 'owner':
      return resolution.address;
    case 'fallback':
      switch (resolution.reason) {
        case 'missing-tag':
          return 'no owner tag';
        case 'invalid-address':
          return `invalid address "${resolution.value}"`;
        case 'lookup-failed':
          return `tags unreadable (${resolution.error})`;
        default: {
          const _exhaustive: never = resolution;
          return String(_exhaustive);
        }
      }
    default: {
      const _exhaustive: never = resolution;
      return String(_exhaustive);
    }
  }
}

interface Column<T = ClassifiedKey> {
  title: string;
  cell: (row: T) => SafeHtml;
  text: (row: T) => string;
  /** Short values that read badly when wrapped (dates, ages). */
  nowrap?: boolean;
}

/** A piece of a message body, in both parts. */
interface Block {
  html: SafeHtml;
  text: string[];
}

type FailedAccount = Extract<AccountOutcome, { status: 'failed' }>;
type SkippedAccount = Extract<AccountOutcome, { status: 'skipped' }>;

/**
 * Renders the owner reminders, the security team's notice of unowned keys and the daily digest as
 * HTML (inline styles, table layout: what mail clients render) and plain text. Every value is escaped.
 * Each key names its account and links to that account's sign-in page, since the owner must be signed in
 * there for the IAM console link to open the right user.
 */
export class EmailRenderer {
  constructor(private readonly ctx: RenderContext) {}

  /** `resolved`: the owner's keys resolved since their last email, reported once. */
  owner(ownerKeys: readonly ClassifiedKey[], resolved: readonly ResolvedKey[] = []): RenderedMessage {
    const expired = ownerKeys.filter((k) => k.state === 'expired').length;
    const warning = ownerKeys.length - expired;
    const firstExpiry = ownerKeys
      .filter((k) => k.state === 'warning')
      .reduce<Date | undefined>((min, k) => (!min || k.expiresAt < min ? k.expiresAt : min), undefined);
    const expiresOn = `expire${warning === 1 ? 's' : ''} on ${formatDate(firstExpiry ?? this.ctx.now).slice(0, 10)}`;
    const subject =
      expired > 0
        ? `Rotate now: ${keys(expired)} past ${days(this.ctx.policy.expireAgeDays)}${warning > 0 ? `, ${warning} more expiring soon` : ''}`
        : ownerKeys.some((k) => k.stage === 'final')
          ? `Final warning: ${keys(warning)} ${expiresOn}`
          : `Reminder: ${keys(warning)} ${expiresOn}`;
    const accounts = new Set(ownerKeys.map((k) => k.accountId)).size;
    const intro =
      `Access keys must be rotated within ${days(this.ctx.policy.expireAgeDays)} of their creation. ` +
      `You get this reminder because ${ownerKeys.length === 1 ? 'this key is' : 'these keys are'} at least ` +
      `${days(this.ctx.policy.warnAgeDays)} old.` +
      (accounts > 1 ? ` They are in ${accounts} AWS accounts: sign in to each key's own account to rotate it.` : '') +
      this.cadence();
    const columns = [
      this.col.account,
      this.col.user,
      this.col.key,
      ...(ownerKeys.some((k) => k.stage) ? [this.col.notice] : []),
      this.col.age,
      this.col.status,
      this.col.expires,
      this.col.action,
    ];
    return this.compose(
      this.prefixed(subject),
      'Your AWS access keys need rotating',
      intro,
      [this.table(ownerKeys, columns), ...this.resolvedBlocks(resolved, 'Resolved since our last email')],
      HOW_TO,
    );
  }

  /** How often the owner hears from us: each stage once, then reminders. */
  private cadence(): string {
    const l = this.ctx.ladder;
    return l
      ? ` You get one email per stage: at ${days(l.warnAgeDays)}, a final warning at ${days(l.finalAgeDays)}, at ` +
          `${days(l.expireAgeDays)} when the key expires, then a reminder every ${days(l.remindEveryDays)} until it is ` +
          'rotated, deleted or deactivated.'
      : '';
  }

  private resolvedBlocks(resolved: readonly ResolvedKey[], title: string): Block[] {
    if (resolved.length === 0) {
      return [];
    }
    const columns: Column<ResolvedKey>[] = [
      { title: 'Account', nowrap: true, cell: (r) => this.accountCell(r), text: (r) => `Account: ${accountText(r)}` },
      { title: 'User', cell: (r) => html`${r.userName ?? ''}`, text: (r) => `User: ${r.userName ?? '-'}` },
      { title: 'Access key ID', cell: (r) => html`${r.accessKeyId}`, text: (r) => `Key: ${r.accessKeyId}` },
      { title: 'Resolved', cell: (r) => html`${resolutionText(r)}`, text: (r) => `Resolved: ${resolutionText(r)}` },
      {
        title: 'Seen on',
        nowrap: true,
        cell: (r) => html`${formatDate(r.closedAt)}`,
        text: (r) => `Seen on: ${formatDate(r.closedAt)}`,
      },
    ];
    return [this.subheading(`${title}: ${keys(resolved.length)}`, '#067647'), this.table(resolved, columns)];
  }

  fallback(
    unowned: readonly ClassifiedKey[],
    owners: OwnerMap,
    resolved: readonly ResolvedKey[] = [],
  ): RenderedMessage {
    const subject = `Unowned: ${keys(unowned.length)} past ${days(this.ctx.policy.warnAgeDays)} without a valid owner`;
    const intro =
      `These keys are at least ${days(this.ctx.policy.warnAgeDays)} old and their IAM users carry no valid owner ` +
      'address, so nobody else was told. Rotate them or tag their users with an owner.';
    const columns = [this.col.account, ...this.columnsWithOwner('Owner tag', owners)];
    return this.compose(
      this.prefixed(subject),
      'Access keys without an owner',
      intro,
      [this.table(unowned, columns), ...this.resolvedBlocks(resolved, 'Resolved since our last email')],
      '',
    );
  }

  digest(input: DigestInput): RenderedMessage {
    const expired = input.keys.filter((k) => k.state === 'expired').length;
    const warning = input.keys.length - expired;
    const unowned = input.keys.filter((k) => input.owners.get(ownerKey(k))?.kind !== 'owner').length;
    const failed = input.accounts.filter((a): a is FailedAccount => a.status === 'failed');
    const skipped = input.accounts.filter((a): a is SkippedAccount => a.status === 'skipped');
    const scanned = input.accounts.length - failed.length - skipped.length;
    const several = input.accounts.length > 1;
    const subject =
      'Access key digest: ' +
      (failed.length > 0 ? `${plural(failed.length, 'account')} NOT SCANNED, ` : '') +
      `${expired} expired, ${warning} warned (${input.keys.length} of ${input.keysSeen} keys` +
      (several ? ` in ${plural(scanned, 'account')})` : ')');
    const intro =
      `${plural(input.keysSeen, 'key')} seen on ${plural(input.usersSeen, 'user')}` +
      (several ? ` in ${plural(scanned, 'scanned account')}` : '') +
      `; ${input.keys.length} past ${days(this.ctx.policy.warnAgeDays)}: ${expired} expired (past ${days(this.ctx.policy.expireAgeDays)}), ` +
      `${warning} warned, ${unowned} without a valid owner.` +
      (several ? ' Grouped by account, oldest first.' : ' Oldest first.');
    const blocks: Block[] = [];
    if (failed.length > 0) {
      blocks.push(this.failedAccounts(failed));
    }
    if (skipped.length > 0) {
      blocks.push(this.skippedAccounts(skipped));
    }
    const columns = this.columnsWithOwner('Owner', input.owners);
    if (input.changes) {
      // Still open, with how long past the expiry.
      columns.splice(columns.indexOf(this.col.expires) + 1, 0, this.col.overdue);
    }
    if (several) {
      for (const [account, accountKeys] of groupByAccount(input.keys)) {
        blocks.push(this.subheading(`Account ${accountText(account)}: ${keys(accountKeys.length)}`));
        blocks.push(this.table(accountKeys, columns));
      }
    } else if (input.keys.length > 0) {
      blocks.push(this.table(input.keys, [this.col.account, ...columns]));
    }
    if (input.changes) {
      blocks.push(...this.changeBlocks(input.changes));
    }
    if (input.exemptions) {
      blocks.push(...this.exemptionBlocks(input.exemptions));
    }
    return this.compose(this.prefixed(subject), 'Daily access key digest', intro, blocks, '');
  }

  /** Since the previous digest: keys newly past the warning age, keys resolved, and how long rotations take. */
  private changeBlocks(changes: DigestChanges): Block[] {
    const medians = `Median time from warning to rotation: ${medianText(changes.rotation30, 30)}; ${medianText(changes.rotation90, 90)}.`;
    if (!changes.since) {
      const heading = this.subheading('Changes: this is the first digest, nothing earlier to compare with');
      return [heading, { html: html`<p style="margin:0 0 8px">${medians}</p>`, text: [medians] }];
    }
    const title =
      `Since the last digest (${formatDate(changes.since)}): ${changes.newlyPastWarning.length} newly past ` +
      `${days(this.ctx.policy.warnAgeDays)}, ${changes.resolved.length} resolved`;
    const blocks: Block[] = [
      this.subheading(title),
      { html: html`<p style="margin:0 0 8px">${medians}</p>`, text: [medians] },
    ];
    if (changes.newlyPastWarning.length > 0) {
      type Newly = DigestChanges['newlyPastWarning'][number];
      const columns: Column<Newly>[] = [
        { title: 'Account', nowrap: true, cell: (l) => this.accountCell(l), text: (l) => `Account: ${accountText(l)}` },
        { title: 'User', cell: (l) => html`${l.userName ?? ''}`, text: (l) => `User: ${l.userName ?? '-'}` },
        { title: 'Access key ID', cell: (l) => html`${l.accessKeyId}`, text: (l) => `Key: ${l.accessKeyId}` },
        {
          title: 'First seen past it',
          nowrap: true,
          cell: (l) => html`${formatDate(l.openedAt)}`,
          text: (l) => `First seen past it: ${formatDate(l.openedAt)}`,
        },
      ];
      blocks.push(
        this.subheading(`Newly past ${days(this.ctx.policy.warnAgeDays)}: ${keys(changes.newlyPastWarning.length)}`),
        this.table(changes.newlyPastWarning, columns),
      );
    }
    blocks.push(...this.resolvedBlocks(changes.resolved, 'Resolved since the last digest'));
    return blocks;
  }

  /** Lapsed first (keys owners must rotate now), then what lapses soon, what lapsed since yesterday, what is exempted. */
  private exemptionBlocks(ex: NonNullable<DigestInput['exemptions']>): Block[] {
    const blocks: Block[] = [];
    const exemptionColumns: Column<Exemption>[] = [
      { title: 'Exemption', cell: (e) => html`${matchText(e)}`, text: (e) => `Exemption: ${matchText(e)}` },
      { title: 'Reason', cell: (e) => html`${e.reason}`, text: (e) => `Reason: ${e.reason}` },
      {
        title: 'Expires',
        nowrap: true,
        cell: (e) => html`${formatDate(e.expiresAt)}`,
        text: (e) => `Expires: ${formatDate(e.expiresAt)}`,
      },
      { title: 'Ticket', cell: (e) => html`${e.ticket ?? ''}`, text: (e) => `Ticket: ${e.ticket ?? '-'}` },
      {
        title: 'Approved by',
        cell: (e) => html`${e.approvedBy ?? ''}`,
        text: (e) => `Approved by: ${e.approvedBy ?? '-'}`,
      },
    ];
    const keyColumns = (label: string): Column<{ key: ClassifiedKey; exemption: Exemption }>[] => [
      { title: 'Account', cell: (x) => this.accountCell(x.key), text: (x) => `Account: ${accountText(x.key)}` },
      { title: 'User', cell: (x) => html`${x.key.userName}`, text: (x) => `User: ${x.key.userName}` },
      { title: 'Access key ID', cell: (x) => html`${x.key.accessKeyId}`, text: (x) => `Key: ${x.key.accessKeyId}` },
      {
        title: 'Age',
        nowrap: true,
        cell: (x) => html`${days(x.key.ageDays)}`,
        text: (x) => `Age: ${days(x.key.ageDays)}`,
      },
      {
        title: label,
        cell: (x) => html`${formatDate(x.exemption.expiresAt)}: ${x.exemption.reason}`,
        text: (x) => `${label}: ${formatDate(x.exemption.expiresAt)}: ${x.exemption.reason}`,
      },
    ];
    const section = <T>(title: string, rows: readonly T[], columns: Column<T>[], color?: string) => {
      if (rows.length > 0) {
        blocks.push(this.subheading(title, color), this.table(rows, columns));
      }
    };
    section(
      `Exemption lapsed: ${keys(ex.lapsed.length)} past their age, owners reminded again`,
      ex.lapsed,
      keyColumns('Exemption expired'),
      COLORS.expired,
    );
    section(
      `Exemptions expiring within ${days(DIGEST_EXPIRING_DAYS)}: ${ex.expiring.length}`,
      ex.expiring,
      exemptionColumns,
      COLORS.warning,
    );
    section(
      `Exemptions expired since yesterday's digest: ${ex.expiredRecently.length}`,
      ex.expiredRecently,
      exemptionColumns,
    );
    section(`Exempted: ${keys(ex.exempted.length)} (no owner reminder)`, ex.exempted, keyColumns('Exempted until'));
    return blocks;
  }

  /** First in the digest, in red: an account whose keys were not checked must never read as "nothing due". */
  private failedAccounts(failed: readonly FailedAccount[]): Block {
    const title = `Not scanned: ${plural(failed.length, 'account')} (their keys were NOT checked)`;
    const columns: Column<FailedAccount>[] = [
      { title: 'Account', cell: (a) => this.accountCell(a), text: (a) => `Account: ${accountText(a)}` },
      {
        title: 'Error',
        cell: (a) => html`<code style="font-family:Consolas,Menlo,monospace;font-size:13px">${a.code}</code>`,
        text: (a) => `Error: ${a.code}${a.action ? ` (${a.action})` : ''}`,
      },
      { title: 'Failed call', nowrap: true, cell: (a) => html`${a.action ?? ''}`, text: () => '' },
      { title: 'Message', cell: (a) => html`${a.message}`, text: (a) => `Message: ${a.message}` },
    ];
    const heading = this.subheading(title, COLORS.expired);
    const table = this.table(failed, columns, COLORS.alert);
    return { html: html`${heading.html}${table.html}`, text: [...heading.text, ...table.text] };
  }

  private skippedAccounts(skipped: readonly SkippedAccount[]): Block {
    const columns: Column<SkippedAccount>[] = [
      { title: 'Account', cell: (a) => this.accountCell(a), text: (a) => `Account: ${accountText(a)}` },
      { title: 'Reason', nowrap: true, cell: (a) => html`${a.reason}`, text: (a) => `Reason: ${a.reason}` },
    ];
    const heading = this.subheading(`Skipped: ${plural(skipped.length, 'account')} not active`);
    const table = this.table(skipped, columns);
    return { html: html`${heading.html}${table.html}`, text: [...heading.text, ...table.text] };
  }

  /** The security team's tables: every key column, with who owns the key (or why nobody does) before the expiry. */
  private columnsWithOwner(title: string, owners: OwnerMap): Column[] {
    const owner: Column = {
      title,
      cell: (k) => html`${ownerText(owners.get(ownerKey(k)))}`,
      text: (k) => `${title}: ${ownerText(owners.get(ownerKey(k)))}`,
    };
    return [this.col.user, this.col.key, this.col.age, this.col.status, owner, this.col.expires, this.col.action];
  }

  private prefixed(subject: string): string {
    return this.ctx.accountLabel ? `[${this.ctx.accountLabel}] ${subject}` : subject;
  }

  private accountCell(a: { accountId: string; accountName?: string }): SafeHtml {
    return a.accountName
      ? html`${a.accountId}<br /><span style="color:${COLORS.muted}">${a.accountName}</span>`
      : html`${a.accountId}`;
  }

  private readonly col: Record<
    'account' | 'user' | 'key' | 'notice' | 'age' | 'status' | 'expires' | 'overdue' | 'action',
    Column
  > = {
    account: {
      title: 'Account',
      nowrap: true,
      cell: (k) => this.accountCell(k),
      text: (k) => `Account: ${accountText(k)}`,
    },
    user: { title: 'User', cell: (k) => html`${k.userName}`, text: (k) => `User: ${k.userName}` },
    key: {
      title: 'Access key ID',
      cell: (k) => html`<code style="font-family:Consolas,Menlo,monospace;font-size:13px">${k.accessKeyId}</code>`,
      text: (k) => `Key: ${k.accessKeyId}`,
    },
    notice: {
      title: 'Notice',
      nowrap: true,
      cell: (k) => html`${k.stage ? stageLabel(k.stage) : ''}`,
      text: (k) => (k.stage ? `Notice: ${stageLabel(k.stage)}` : ''),
    },
    overdue: {
      title: 'Overdue',
      nowrap: true,
      cell: (k) => html`${this.overdue(k)}`,
      text: (k) => `Overdue: ${this.overdue(k)}`,
    },
    age: { title: 'Age', nowrap: true, cell: (k) => html`${days(k.ageDays)}`, text: (k) => `Age: ${days(k.ageDays)}` },
    status: { title: 'Status', nowrap: true, cell: (k) => html`${k.status}`, text: (k) => `Status: ${k.status}` },
    expires: {
      nowrap: true,
      title: 'Expires',
      cell: (k) => html`${formatDate(k.expiresAt)}`,
      text: (k) => `${k.state === 'expired' ? 'Expired' : 'Expires'}: ${formatDate(k.expiresAt)}`,
    },
    action: {
      title: 'Action',
      cell: (k) => {
        const badge =
          k.state === 'expired'
            ? html`<strong style="color:${COLORS.expired};white-space:nowrap">Rotate now</strong>`
            : html`<span style="color:${COLORS.warning};white-space:nowrap"
                >Rotate before ${formatDate(k.expiresAt).slice(0, 10)}</span
              >`;
        return html`${badge}<br /><a href="${accountSignInUrl(this.ctx.partition, k.accountId)}" style="color:#175cd3"
            >Sign in to ${k.accountId}</a
          ><br /><a href="${securityCredentialsUrl(this.ctx.partition, k.userName)}" style="color:#175cd3"
            >Open in IAM console</a
          >`;
      },
      text: (k) =>
        `${k.state === 'expired' ? 'ROTATE NOW' : `Rotate before ${formatDate(k.expiresAt)}`}: ` +
        `sign in to account ${k.accountId} at ${accountSignInUrl(this.ctx.partition, k.accountId)}, ` +
        `then open ${securityCredentialsUrl(this.ctx.partition, k.userName)}`,
    },
  };

  private overdue(k: ClassifiedKey): string {
    const ms = this.ctx.now.getTime() - k.expiresAt.getTime();
    return ms >= 0 ? days(Math.floor(ms / DAY_MS)) : '-';
  }

  private subheading(title: string, color = '#101828'): Block {
    return { html: html`<h2 style="margin:20px 0 8px;font-size:16px;color:${color}">${title}</h2>`, text: ['', title] };
  }

  private table<T>(rows: readonly T[], columns: Column<T>[], background = '#ffffff'): Block {
    const th = (c: Column<T>) =>
      html`<th
        align="left"
        style="padding:8px 10px;border-bottom:1px solid ${COLORS.border};background:${COLORS.head};font-size:12px;color:${COLORS.muted};text-transform:uppercase;letter-spacing:.03em"
      >
        ${c.title}
      </th>`;
    const tr = (row: T) =>
      html`<tr>
        ${columns.map((c) => html`<td style="padding:8px 10px;border-bottom:1px solid ${COLORS.border};vertical-align:top${c.nowrap ? ';white-space:nowrap' : ''}">${c.cell(row)}</td>`)}
      </tr>`;
    return {
      html: html`<table
        role="presentation"
        width="100%"
        cellspacing="0"
        cellpadding="0"
        style="border-collapse:collapse;border:1px solid ${COLORS.border};background:${background}"
      >
        <thead>
          <tr>
            ${columns.map(th)}
          </tr>
        </thead>
        <tbody>
          ${rows.map(tr)}
        </tbody>
      </table>`,
      text: rows.map((row) =>
        columns
          .map((c) => c.text(row))
          .filter((line) => line !== '')
          .map((line, i) => (i === 0 ? '- ' : '  ') + line)
          .join('\n'),
      ),
    };
  }

  private compose(subject: string, heading: string, intro: string, blocks: Block[], howTo: string): RenderedMessage {
    const footer = `Sent by iam-key-monitor on ${formatDate(this.ctx.now)}${this.ctx.accountLabel ? ` for ${this.ctx.accountLabel}` : ''}. Warning from ${days(this.ctx.policy.warnAgeDays)}, rotation required at ${days(this.ctx.policy.expireAgeDays)}.`;
    const howToHtml = howTo ? html`<p style="margin:16px 0 0">${howTo}</p>` : html``;
    const body = html`<!DOCTYPE html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width" />
          <title>${subject}</title>
        </head>
        <body
          style="margin:0;padding:24px;background:#f2f4f7;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:14px;color:#101828"
        >
          <table
            role="presentation"
            width="100%"
            cellspacing="0"
            cellpadding="0"
            style="max-width:960px;margin:0 auto;background:#ffffff;border:1px solid ${COLORS.border};border-radius:8px"
          >
            <tr>
              <td style="padding:24px">
                <h1 style="margin:0 0 12px;font-size:20px">${heading}</h1>
                <p style="margin:0 0 16px;line-height:1.5">${intro}</p>
                ${blocks.map((b) => b.html)} ${howToHtml}
                <p style="margin:24px 0 0;font-size:12px;color:${COLORS.muted}">${footer}</p>
              </td>
            </tr>
          </table>
        </body>
      </html> `;
    const text = [
      heading,
      '',
      intro,
      '',
      ...blocks.flatMap((b) => b.text),
      ...(howTo ? ['', howTo] : []),
      '',
      footer,
      '',
    ]
      .join('\n')
      .replace(/\n{3,}/g, '\n\n');
    return { subject, html: body.value, text };
  }
}

/** Keys grouped by account in the order accounts first appear, each group keeping the scan's order (oldest first). */
export function groupByAccount(
  keys: readonly ClassifiedKey[],
): Array<[{ accountId: string; accountName?: string }, ClassifiedKey[]]> {
  const groups = new Map<string, [{ accountId: string; accountName?: string }, ClassifiedKey[]]>();
  for (const k of keys) {
    const group = groups.get(k.accountId) ?? [{ accountId: k.accountId, accountName: k.accountName }, []];
    group[1].push(k);
    groups.set(k.accountId, group);
  }
  return [...groups.values()];
}

const HOW_TO =
  'To rotate: create a new access key, switch every application and profile that uses the old one to it, ' +
  'then make the old key inactive and delete it once nothing breaks.';
