import type { EmulatedAccessKey, IamAccount } from './iam-account.model';

export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
] as const;

export const ROOT_ACCOUNT_USER = '<root_account>';

/** The report's date format: second precision with an explicit offset, e.g. 2026-01-02T03:04:05+00:00. */
export function formatReportDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function orNa(date: Date | undefined): string {
  return date ? formatReportDate(date) : 'N/A';
}

function keyColumns(key: EmulatedAccessKey | undefined): string[] {
  if (!key) {
    return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
  }
  return [
    String(key.status === 'Active'),
    formatReportDate(key.createDate),
    orNa(key.lastUsed?.date),
    key.lastUsed?.region ?? 'N/A',
    key.lastUsed?.serviceName ?? 'N/A',
  ];
}

/** RFC 4180 quoting; IAM user names may hold commas, and so may the ARNs built from them. */
/** One CSV field, quoted only when it holds a quote, a comma or a line break (as AWS writes user names). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const NO_CERTIFICATES = ['false', 'N/A', 'false', 'N/A'];

export function buildCredentialReportCsv(account: IamAccount): string {
  const { root } = account;
  const rows: string[][] = [
    [
      ROOT_ACCOUNT_USER,
      `arn:aws:iam::${account.accountId}:root`,
      formatReportDate(root.createDate),
      'not_supported',
      root.passwordLastUsed ? formatReportDate(root.passwordLastUsed) : 'no_information',
      'not_supported',
      'not_supported',
      String(root.mfaActive),
      ...keyColumns(root.accessKeys[0]),
      ...keyColumns(root.accessKeys[1]),
      ...NO_CERTIFICATES,
    ],
  ];
  for (const user of account.listUsers()) {
    const { password } = user;
    rows.push([
      user.userName,
      user.arn,
      formatReportDate(user.createDate),
      String(password !== undefined),
      password ? (password.lastUsed ? formatReportDate(password.lastUsed) : 'no_information') : 'N/A',
      orNa(password?.lastChanged),
      'N/A',
      String(user.mfaActive),
      ...keyColumns(user.accessKeys[0]),
      ...keyColumns(user.accessKeys[1]),
      ...NO_CERTIFICATES,
    ]);
  }
  return [CREDENTIAL_REPORT_COLUMNS.join(','), ...rows.map((row) => row.map(csvField).join(','))].join('\n');
}
