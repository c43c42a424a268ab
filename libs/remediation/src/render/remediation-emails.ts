import { html, type OutgoingEmail, type SafeHtml } from '@app/notifier';
import type { RemediationDecisionInput } from '@app/store';
import type { ActiveMode, OwnerNotice } from '../job/remediation.types';

const ROTATE_HOW =
  'To rotate: create a new access key for the user (IAM console or `aws iam create-access-key`), move every ' +
  'application to it, then delete the old key.';
const EXEMPT_HOW =
  'To ask for an exemption: open a ticket with the security team giving the key id, the reason and an end date; ' +
  'an approved exemption is added to the exemptions file (or as tags on the user) and stops any action on the key.';

const day = (d: Date) => d.toISOString().slice(0, 10);
const minute = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function page(title: string, paragraphs: string[], table?: SafeHtml): { html: string; text: string } {
  const body = html`<h1>${title}</h1>
    ${paragraphs.map((p) => html`<p>${p}</p>`)}${table ?? html``}`;
  return {
    html: `<!doctype html><html><body>${body.value}</body></html>`,
    text: [title, '', ...paragraphs.flatMap((p) => [p, ''])].join('\n'),
  };
}

/** The owner's notice before ("will be deactivated on DATE") or after ("deactivated at TIME"). */
export function renderOwnerNotice(notice: OwnerNotice, mode: ActiveMode): OutgoingEmail {
  const key = `${notice.accessKeyId} of IAM user ${notice.userName} in account ${notice.accountId}`;
  const dry = mode === 'dry-run';
  let subject: string;
  let first: string;
  if (notice.kind === 'before') {
    subject = `${dry ? 'Would be deactivated' : 'Will be deactivated'} on ${day(notice.at)}: access key ${notice.accessKeyId}`;
    first = dry
      ? `The access key ${key} is past its expiry and would be deactivated on ${day(notice.at)} unless rotated or exempted (remediation runs in dry-run: nothing is changed yet).`
      : `The access key ${key} is past its expiry and will be deactivated on ${day(notice.at)} unless rotated or exempted.`;
  } else {
    subject = `${dry ? 'Would have been deactivated' : 'Deactivated'}: access key ${notice.accessKeyId}`;
    first = dry
      ? `The access key ${key} would have been deactivated at ${minute(notice.at)} by iam-key-monitor (dry-run: it is still active).`
      : `The access key ${key} was deactivated at ${minute(notice.at)} by iam-key-monitor. It was not deleted: it can be set Active again in an emergency, which the security team will see.`;
  }
  const { html: body, text } = page(subject, [first, ROTATE_HOW, EXEMPT_HOW]);
  return { kind: 'owner', to: notice.to, subject, html: body, text, accessKeyIds: [notice.accessKeyId] };
}

const OUTCOME_TITLE: Record<string, string> = {
  deactivated: 'Deactivated',
  'would-deactivate': 'Would deactivate (dry-run)',
  deleted: 'Deleted',
  'would-delete': 'Would delete (dry-run)',
  reactivated: 'Reactivated after deactivation (left alone; its ladder restarts at final)',
  refused: 'Refused by a limit',
  failed: 'Failed',
  spared: 'Spared',
  notified: 'Owner told before',
};

/**
 * Every decision of the run for the security team; `alert` heads it when a limit refused the whole run, `stopped`
 * when the kill switch stopped it between two actions (with the operator's reason).
 */
export function renderRunDigest(
  to: string,
  runId: number,
  mode: ActiveMode,
  decisions: readonly Pick<RemediationDecisionInput, 'accountId' | 'userName' | 'accessKeyId' | 'outcome' | 'reason'>[],
  alert?: string,
  stopped?: { reason: string; left: number },
): OutgoingEmail {
  const acted = decisions.filter((d) => d.outcome !== 'spared' && d.outcome !== 'notified').length;
  const counts = `${acted} action(s), ${decisions.length} decision(s)`;
  const subject = alert
    ? `Remediation run ${runId} refused: ${alert}`
    : stopped
      ? `Remediation run ${runId} (${mode}) stopped by the kill switch: ${counts}`
      : `Remediation run ${runId} (${mode}): ${counts}`;
  const rows = decisions.map(
    (d) =>
      html`<tr>
        <td>${OUTCOME_TITLE[d.outcome] ?? d.outcome}</td>
        <td>${d.reason}</td>
        <td>${d.accountId}</td>
        <td>${d.userName ?? ''}</td>
        <td>${d.accessKeyId}</td>
      </tr>`,
  );
  const table = html`<table>
    <tr>
      <th>Outcome</th>
      <th>Reason</th>
      <th>Account</th>
      <th>User</th>
      <th>Key</th>
    </tr>
    ${rows}
  </table>`;
  const paragraphs = alert
    ? [
        `Run ${runId} took no action: ${alert}. This is a sign of misconfiguration or of a mass event; check the ladder and REMEDIATION_* settings before the next run.`,
      ]
    : stopped
      ? [
          `Run ${runId} in ${mode} mode was stopped by the kill switch before ${stopped.left} action(s), recorded as refused (kill-switch). Reason given: ${stopped.reason || '(none)'}. Every run refuses to start until the switch is released.`,
        ]
      : [`Run ${runId} in ${mode} mode.`];
  const { html: body, text } = page(subject, paragraphs, table);
  const lines = decisions.map(
    (d) =>
      `- ${OUTCOME_TITLE[d.outcome] ?? d.outcome} (${d.reason}): ${d.accountId} ${d.userName ?? '?'} ${d.accessKeyId}`,
  );
  return {
    kind: 'digest',
    to,
    subject,
    html: body,
    text: `${text}\n${lines.join('\n')}\n`,
    accessKeyIds: decisions.map((d) => d.accessKeyId),
  };
}
