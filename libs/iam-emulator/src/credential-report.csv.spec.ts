import { buildCredentialReportCsv, CREDENTIAL_REPORT_COLUMNS, formatReportDate } from './credential-report.csv';
import { parseCsv } from './csv.testing';
import { IamAccount } from './iam-account.model';
import { seedAccount } from './seed-account';

const d = (iso: string) => new Date(iso);

describe(buildCredentialReportCsv.name, () => {
  let account: IamAccount;

  beforeEach(() => {
    account = new IamAccount({ root: { createDate: d('2015-03-04T05:06:07.890Z'), mfaActive: false } });
    account.addRootAccessKey({ accessKeyId: 'AKIAROOTROOTROOTROOT', createDate: d('2020-01-01T00:00:00Z') });
    account.addUser({
      userName: 'smith,alice',
      createDate: d('2024-01-02T03:04:05.678Z'),
      password: { lastChanged: d('2024-01-02T03:04:05Z') },
      mfaActive: true,
      accessKeys: [
        { accessKeyId: 'AKIABBBBBBBBBBBBBBBB', createDate: d('2025-06-01T00:00:00Z'), status: 'Inactive' },
        {
          accessKeyId: 'AKIAAAAAAAAAAAAAAAAA',
          createDate: d('2024-02-01T00:00:00Z'),
          lastUsed: { date: d('2024-03-01T10:00:00Z'), serviceName: 's3', region: 'eu-west-1' },
        },
      ],
    });
    account.addUser({ userName: 'bob', createDate: d('2023-05-06T07:08:09Z') });
  });

  function rows(): Record<string, string>[] {
    const [header, ...body] = parseCsv(buildCredentialReportCsv(account));
    return body.map((row) => Object.fromEntries(header.map((column, i) => [column, row[i]])));
  }

  it('has exactly the 22 AWS columns in order and a root row first', () => {
    const [header, ...body] = parseCsv(buildCredentialReportCsv(account));

    expect(header).toEqual([...CREDENTIAL_REPORT_COLUMNS]);
    expect(header).toHaveLength(22);
    expect(body.map((row) => row[0])).toEqual(['<root_account>', 'bob', 'smith,alice']);
    expect(body.every((row) => row.length === 22)).toBe(true);
  });

  it('writes the root row the way AWS does', () => {
    expect(rows()[0]).toEqual({
      user: '<root_account>',
      arn: 'arn:aws:iam::111111111111:root',
      user_creation_time: '2015-03-04T05:06:07+00:00',
      password_enabled: 'not_supported',
      password_last_used: 'no_information',
      password_last_changed: 'not_supported',
      password_next_rotation: 'not_supported',
      mfa_active: 'false',
      access_key_1_active: 'true',
      access_key_1_last_rotated: '2020-01-01T00:00:00+00:00',
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
    });
  });

  it('fills key slots in creation order and quotes names holding commas', () => {
    const alice = rows()[2];

    expect(alice).toMatchObject({
      user: 'smith,alice',
      arn: 'arn:aws:iam::111111111111:user/smith,alice',
      user_creation_time: '2024-01-02T03:04:05+00:00',
      password_enabled: 'true',
      password_last_used: 'no_information',
      password_last_changed: '2024-01-02T03:04:05+00:00',
      password_next_rotation: 'N/A',
      mfa_active: 'true',
      access_key_1_active: 'true',
      access_key_1_last_rotated: '2024-02-01T00:00:00+00:00',
      access_key_1_last_used_date: '2024-03-01T10:00:00+00:00',
      access_key_1_last_used_region: 'eu-west-1',
      access_key_1_last_used_service: 's3',
      access_key_2_active: 'false',
      access_key_2_last_rotated: '2025-06-01T00:00:00+00:00',
      access_key_2_last_used_date: 'N/A',
    });
    expect(buildCredentialReportCsv(account)).toContain('"smith,alice","arn:aws:iam::111111111111:user/smith,alice"');
  });

  it('puts N/A where a user has no password and no keys', () => {
    expect(rows()[1]).toMatchObject({
      password_enabled: 'false',
      password_last_used: 'N/A',
      password_last_changed: 'N/A',
      access_key_1_active: 'false',
      access_key_1_last_rotated: 'N/A',
      access_key_2_active: 'false',
      access_key_2_last_rotated: 'N/A',
    });
  });

  it('carries each slot’s own last use, N/A for a key never used beside a used one', () => {
    const now = new Date('2026-06-15T12:00:00Z');
    const seeded = seedAccount({ seed: 1, users: 0, now, lastUseCases: true });
    const [header, ...body] = parseCsv(buildCredentialReportCsv(seeded));
    const byUser = new Map(body.map((row) => [row[0], Object.fromEntries(header.map((c, i) => [c, row[i]]))]));
    const lastUse = (user: string) =>
      [1, 2].map((slot) =>
        ['active', 'last_used_date', 'last_used_region', 'last_used_service'].map(
          (column) => byUser.get(user)?.[`access_key_${slot}_${column}`],
        ),
      );

    expect(lastUse('lastuse-inactive-then-never')).toEqual([
      ['false', '2026-03-27T12:00:00+00:00', 'us-east-1', 'lambda'],
      ['true', 'N/A', 'N/A', 'N/A'],
    ]);
    expect(lastUse('lastuse-today-both')).toEqual([
      ['true', '2026-06-15T12:00:00+00:00', 'eu-west-1', 's3'],
      ['true', '2026-06-15T12:00:00+00:00', 'us-west-2', 'sts'],
    ]);
    expect(lastUse('lastuse-never-in-grace')).toEqual([
      ['true', 'N/A', 'N/A', 'N/A'],
      ['false', 'N/A', 'N/A', 'N/A'],
    ]);
  });

  it('formats dates without milliseconds and with an explicit UTC offset', () => {
    expect(formatReportDate(d('2026-01-02T03:04:05.999Z'))).toBe('2026-01-02T03:04:05+00:00');
  });
});
