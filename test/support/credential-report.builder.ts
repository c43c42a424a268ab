/** Builds credential report CSV for specs, in the column order and value style AWS uses. */
import { CREDENTIAL_REPORT_COLUMNS, csvField, formatReportDate } from '@app/iam-emulator';

// The emulator encodes AWS's report format once; specs here build their rows in the same columns and quoting.
export const AWS_REPORT_COLUMNS = CREDENTIAL_REPORT_COLUMNS;

export type ReportRow = Partial<Record<(typeof AWS_REPORT_COLUMNS)[number], string>> & { user: string };

/** The date format of the report: second precision, `+00:00` offset. */
export function reportDate(date: Date | string): string {
  return formatReportDate(new Date(date));
}

const ROW_DEFAULTS: Omit<ReportRow, 'user'> = {
  user_creation_time: '2020-01-01T00:00:00+00:00',
  password_enabled: 'false',
  password_last_used: 'N/A',
  password_last_changed: 'N/A',
  password_next_rotation: 'N/A',
  mfa_active: 'false',
  access_key_1_active: 'false',
  access_key_1_last_rotated: 'N/A',
  access_key_1_last_used_date: 'N/A',
  access_key_1_last_used_region: 'N/A',
  access_key_1_last_used_service: 'N/A',
  access_key_2_active: 'false',
  access_key_2_last_rotated: 'N/A',
  access_key_2_last_used_date: 'N/A',
  access_key_2_last_used_region: 'N/A',
  access_key_2_last_used_service: 'N/A',
  cert_1_active: 'false',
  cert_1_last_rotated: 'N/A',
  cert_2_active: 'false',
  cert_2_last_rotated: 'N/A',
};

export function reportCsv(rows: ReportRow[], columns: readonly string[] = AWS_REPORT_COLUMNS): string {
  const lines = rows.map((row) => {
    const full: Record<string, string | undefined> = {
      ...ROW_DEFAULTS,
      arn:
        row.user === '<root_account>' ? 'arn:aws:iam::123456789012:root' : `arn:aws:iam::123456789012:user/${row.user}`,
      ...row,
    };
    return columns.map((c) => csvField(full[c] ?? 'N/A')).join(',');
  });
  return [columns.join(','), ...lines].join('\n') + '\n';
}

export function reportBytes(rows: ReportRow[], columns?: readonly string[]): Uint8Array {
  return new TextEncoder().encode(reportCsv(rows, columns));
}
