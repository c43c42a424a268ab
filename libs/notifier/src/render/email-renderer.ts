import type { AgePolicy } from '../classify/classify-keys';
import { securityCredentialsUrl, type AwsPartition } from '../config/partition';
import type { ClassifiedKey, OwnerResolution } from '../notifier.types';
import { html, SafeHtml } from './html';

export interface RenderContext {
  now: Date;
  policy: AgePolicy;
  partition: AwsPartition;
  accountLabel?: string;
}

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}

export interface DigestInput {
  keys: readonly ClassifiedKey[];
  owners: ReadonlyMap<string, OwnerResolution>;
  keysSeen: number;
  usersSeen: number;
}

const COLORS = { expired: '#b42318', warning: '#b54708', muted: '#667085', border: '#eaecf0', head: '#f9fafb' };

export function formatDate(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function days(n: number): string {
  return `${n} day${n === 1 ? '' : 's'}`;
}

function keys(n: number): string {
  return `${n} AWS access key${n === 1 ? '' : 's'}`;
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

interface Column {
  title: string;
  cell: (k: ClassifiedKey) => SafeHtml;
  text: (k: ClassifiedKey) => string;
  /** Short values that read badly when wrapped (dates, ages). */
  nowrap?: boolean;
}

/**
 * Renders the owner reminders, the security team's notice of unowned keys and the daily digest as
 * HTML (inline styles, table layout: what mail clients render) and plain text. Every value is escaped.
 */
export class EmailRenderer {
  constructor(private readonly ctx: RenderContext) {}

  owner(ownerKeys: readonly ClassifiedKey[]): RenderedMessage {
    const expired = ownerKeys.filter((k) => k.state === 'expired').length;
    const warning = ownerKeys.length - expired;
    const firstExpiry = ownerKeys
      .filter((k) => k.state === 'warning')
      .reduce<Date | undefined>((min, k) => (!min || k.expiresAt < min ? k.expiresAt : min), undefined);
    const subject =
      expired > 0
        ? `Rotate now: ${keys(expired)} past ${days(this.ctx.policy.expireAgeDays)}${warning > 0 ? `, ${warning} more expiring soon` : ''}`
        : `Reminder: ${keys(warning)} expire${warning === 1 ? 's' : ''} on ${formatDate(firstExpiry ?? this.ctx.now).slice(0, 10)}`;
    const intro =
      `Access keys must be rotated within ${days(this.ctx.policy.expireAgeDays)} of their creation. ` +
      `You get this reminder because ${ownerKeys.length === 1 ? 'this key is' : 'these keys are'} at least ` +
      `${days(this.ctx.policy.warnAgeDays)} old.`;
    const columns = [this.col.user, this.col.key, this.col.age, this.col.status, this.col.expires, this.col.action];
    return this.compose(
      this.prefixed(subject),
      'Your AWS access keys need rotating',
      intro,
      ownerKeys,
      columns,
      HOW_TO,
    );
  }

  fallback(unowned: readonly ClassifiedKey[], owners: ReadonlyMap<string, OwnerResolution>): RenderedMessage {
    const subject = `Unowned: ${keys(unowned.length)} past ${days(this.ctx.policy.warnAgeDays)} without a valid owner`;
    const intro =
      `These keys are at least ${days(this.ctx.policy.warnAgeDays)} old and their IAM users carry no valid owner ` +
      'address, so nobody else was told. Rotate them or tag their users with an owner.';
    const columns = this.columnsWithOwner('Owner tag', owners);
    return this.compose(this.prefixed(subject), 'Access keys without an owner', intro, unowned, columns, '');
  }

  digest(input: DigestInput): RenderedMessage {
    const expired = input.keys.filter((k) => k.state === 'expired').length;
    const warning = input.keys.length - expired;
    const unowned = input.keys.filter((k) => input.owners.get(k.userName)?.kind !== 'owner').length;
    const subject = `Access key digest: ${expired} expired, ${warning} warned (${input.keys.length} of ${input.keysSeen} keys)`;
    const intro =
      `${input.keysSeen} key${input.keysSeen === 1 ? '' : 's'} seen on ${input.usersSeen} user${input.usersSeen === 1 ? '' : 's'}; ` +
      `${input.keys.length} past ${days(this.ctx.policy.warnAgeDays)}: ${expired} expired (past ${days(this.ctx.policy.expireAgeDays)}), ` +
      `${warning} warned, ${unowned} without a valid owner. Oldest first.`;
    const columns = this.columnsWithOwner('Owner', input.owners);
    return this.compose(this.prefixed(subject), 'Daily access key digest', intro, input.keys, columns, '');
  }

  /** The security team's tables: every key column, with who owns the key (or why nobody does) before the expiry. */
  private columnsWithOwner(title: string, owners: ReadonlyMap<string, OwnerResolution>): Column[] {
    const owner: Column = {
      title,
      cell: (k) => html`${ownerText(owners.get(k.userName))}`,
      text: (k) => `${title}: ${ownerText(owners.get(k.userName))}`,
    };
    return [this.col.user, this.col.key, this.col.age, this.col.status, owner, this.col.expires, this.col.action];
  }

  private prefixed(subject: string): string {
    return this.ctx.accountLabel ? `[${this.ctx.accountLabel}] ${subject}` : subject;
  }

  private readonly col: Record<'user' | 'key' | 'age' | 'status' | 'expires' | 'action', Column> = {
    user: { title: 'User', cell: (k) => html`${k.userName}`, text: (k) => `User: ${k.userName}` },
    key: {
      title: 'Access key ID',
      cell: (k) => html`<code style="font-family:Consolas,Menlo,monospace;font-size:13px">${k.accessKeyId}</code>`,
      text: (k) => `Key: ${k.accessKeyId}`,
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
        const url = securityCredentialsUrl(this.ctx.partition, k.userName);
        const badge =
          k.state === 'expired'
            ? html`<strong style="color:${COLORS.expired};white-space:nowrap">Rotate now</strong>`
            : html`<span style="color:${COLORS.warning};white-space:nowrap"
                >Rotate before ${formatDate(k.expiresAt).slice(0, 10)}</span
              >`;
        return html`${badge}<br /><a href="${url}" style="color:#175cd3">Open in IAM console</a>`;
      },
      text: (k) =>
        `${k.state === 'expired' ? 'ROTATE NOW' : `Rotate before ${formatDate(k.expiresAt)}`}: ${securityCredentialsUrl(this.ctx.partition, k.userName)}`,
    },
  };

  private compose(
    subject: string,
    heading: string,
    intro: string,
    rows: readonly ClassifiedKey[],
    columns: Column[],
    howTo: string,
  ): RenderedMessage {
    const th = (c: Column) =>
      html`<th
        align="left"
        style="padding:8px 10px;border-bottom:1px solid ${COLORS.border};background:${COLORS.head};font-size:12px;color:${COLORS.muted};text-transform:uppercase;letter-spacing:.03em"
      >
        ${c.title}
      </th>`;
    const tr = (k: ClassifiedKey) =>
      html`<tr>
        ${columns.map((c) => html`<td style="padding:8px 10px;border-bottom:1px solid ${COLORS.border};vertical-align:top${c.nowrap ? ';white-space:nowrap' : ''}">${c.cell(k)}</td>`)}
      </tr>`;
    const footer = `Sent by iam-key-monitor on ${formatDate(this.ctx.now)}${this.ctx.accountLabel ? ` for account ${this.ctx.accountLabel}` : ''}. Warning from ${days(this.ctx.policy.warnAgeDays)}, rotation required at ${days(this.ctx.policy.expireAgeDays)}.`;
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
            style="max-width:880px;margin:0 auto;background:#ffffff;border:1px solid ${COLORS.border};border-radius:8px"
          >
            <tr>
              <td style="padding:24px">
                <h1 style="margin:0 0 12px;font-size:20px">${heading}</h1>
                <p style="margin:0 0 16px;line-height:1.5">${intro}</p>
                <table
                  role="presentation"
                  width="100%"
                  cellspacing="0"
                  cellpadding="0"
                  style="border-collapse:collapse;border:1px solid ${COLORS.border}"
                >
                  <thead>
                    <tr>
                      ${columns.map(th)}
                    </tr>
                  </thead>
                  <tbody>
                    ${rows.map(tr)}
                  </tbody>
                </table>
                ${howToHtml}
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
      ...rows.map((k) => columns.map((c, i) => (i === 0 ? '- ' : '  ') + c.text(k)).join('\n')),
      ...(howTo ? ['', howTo] : []),
      '',
      footer,
      '',
    ].join('\n');
    return { subject, html: body.value, text };
  }
}

const HOW_TO =
  'To rotate: create a new access key, switch every application and profile that uses the old one to it, ' +
  'then make the old key inactive and delete it once nothing breaks.';
