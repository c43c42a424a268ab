import { IamErrorCode, IamException } from '../errors/iam.exception';
import { parse as parseCsv } from 'csv-parse/sync';
import { HOUR_MS } from '../iam.constants';
import { parseCredentialReport, type ReportCriteria } from './credential-report.parser';
import {
  AWS_REPORT_COLUMNS,
  reportBytes,
  reportCsv,
  reportDate,
} from '../../../../test/support/credential-report.builder';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const hoursAgo = (h: number) => reportDate(new Date(NOW - h * HOUR_MS));
const criteria = (hours: number, includeInactive = false): ReportCriteria => ({
  cutoff: NOW - hours * HOUR_MS,
  includeInactive,
});

async function malformedError(content: Uint8Array | string): Promise<IamException> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const err: unknown = await parseCredentialReport(bytes, criteria(1)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IamException);
  expect(err).toMatchObject({ code: IamErrorCode.ReportMalformed, action: 'GetCredentialReport' });
  return err as IamException;
}

describe(parseCredentialReport.name, () => {
  let sut: typeof parseCredentialReport;

  beforeEach(() => {
    sut = parseCredentialReport;
  });

  it('keeps users with an old slot in either slot, with only their old slots', async () => {
    const content = reportBytes([
      { user: 'one', access_key_1_active: 'true', access_key_1_last_rotated: hoursAgo(100) },
      {
        user: 'two',
        access_key_1_active: 'true',
        access_key_1_last_rotated: hoursAgo(10),
        access_key_2_active: 'true',
        access_key_2_last_rotated: hoursAgo(200),
      },
      {
        user: 'both',
        access_key_1_active: 'true',
        access_key_1_last_rotated: hoursAgo(300),
        access_key_2_active: 'true',
        access_key_2_last_rotated: hoursAgo(50),
      },
      { user: 'young-keys', access_key_1_active: 'true', access_key_1_last_rotated: hoursAgo(49) },
      { user: 'no-keys' },
    ]);

    const result = await sut(content, criteria(50));

    expect(result).toEqual({
      candidates: [
        {
          userName: 'one',
          userCreationTime: new Date('2020-01-01T00:00:00Z'),
          slots: [{ slot: 1, active: true, lastRotated: new Date(hoursAgo(100)) }],
          keySlots: [{ slot: 1, active: true, lastRotated: new Date(hoursAgo(100)) }],
          fingerprint: `true@${Date.parse(hoursAgo(100))},false@-`,
        },
        {
          userName: 'two',
          userCreationTime: new Date('2020-01-01T00:00:00Z'),
          slots: [{ slot: 2, active: true, lastRotated: new Date(hoursAgo(200)) }],
          keySlots: [
            { slot: 1, active: true, lastRotated: new Date(hoursAgo(10)) },
            { slot: 2, active: true, lastRotated: new Date(hoursAgo(200)) },
          ],
          fingerprint: `true@${Date.parse(hoursAgo(10))},true@${Date.parse(hoursAgo(200))}`,
        },
        {
          userName: 'both',
          userCreationTime: new Date('2020-01-01T00:00:00Z'),
          slots: [
            { slot: 1, active: true, lastRotated: new Date(hoursAgo(300)) },
            { slot: 2, active: true, lastRotated: new Date(hoursAgo(50)) },
          ],
          keySlots: [
            { slot: 1, active: true, lastRotated: new Date(hoursAgo(300)) },
            { slot: 2, active: true, lastRotated: new Date(hoursAgo(50)) },
          ],
          fingerprint: `true@${Date.parse(hoursAgo(300))},true@${Date.parse(hoursAgo(50))}`,
        },
      ],
      rootSlots: [],
      usersSeen: 5,
      usersYoung: 0,
    });
  });

  it('counts a slot rotated exactly at the cutoff as old, and one a second later as not', async () => {
    const content = reportBytes([
      { user: 'at', access_key_1_active: 'true', access_key_1_last_rotated: hoursAgo(24) },
      {
        user: 'after',
        access_key_1_active: 'true',
        access_key_1_last_rotated: reportDate(new Date(NOW - 24 * HOUR_MS + 1000)),
      },
    ]);

    const result = await sut(content, criteria(24));

    expect(result.candidates.map((c) => c.userName)).toEqual(['at']);
  });

  it.each(['N/A', 'not_supported', 'no_information', 'n/a'])('treats %s in last_rotated as no key', async (value) => {
    const content = reportBytes([
      {
        user: 'alice',
        access_key_1_active: 'false',
        access_key_1_last_rotated: value,
        access_key_2_active: 'false',
        access_key_2_last_rotated: value,
      },
    ]);

    const result = await sut(content, criteria(1, true));

    expect(result).toEqual({ candidates: [], rootSlots: [], usersSeen: 1, usersYoung: 0 });
  });

  it.each([
    ['TRUE', true],
    ['True', true],
    ['true', true],
    ['FALSE', false],
    ['False', false],
    ['false', false],
  ])('reads the boolean %s in any case', async (value, active) => {
    const content = reportBytes([
      { user: 'alice', access_key_1_active: value, access_key_1_last_rotated: hoursAgo(9) },
    ]);

    const result = await sut(content, criteria(1, true));

    expect(result.candidates).toEqual([
      expect.objectContaining({
        userName: 'alice',
        userCreationTime: new Date('2020-01-01T00:00:00Z'),
        slots: [{ slot: 1, active, lastRotated: new Date(hoursAgo(9)) }],
      }),
    ]);
  });

  it('tells the visitor every user row with its fingerprint, candidates or not, root excluded', async () => {
    const content = reportBytes([
      { user: '<root_account>', access_key_1_active: 'true', access_key_1_last_rotated: hoursAgo(900) },
      { user: 'old', access_key_1_active: 'false', access_key_1_last_rotated: hoursAgo(100) },
      { user: 'young', access_key_2_active: 'true', access_key_2_last_rotated: hoursAgo(1) },
      { user: 'no-keys' },
    ]);
    const visited: Array<[string, string]> = [];

    const result = await sut(content, criteria(24, true), (user, fingerprint) => visited.push([user, fingerprint]));

    expect(result.candidates.map((c) => c.userName)).toEqual(['old']);
    expect(visited).toEqual([
      ['old', `false@${Date.parse(hoursAgo(100))},false@-`],
      ['young', `false@-,true@${Date.parse(hoursAgo(1))}`],
      ['no-keys', 'false@-,false@-'],
    ]);
  });

  it('drops inactive slots unless includeInactive', async () => {
    const content = reportBytes([
      {
        user: 'alice',
        access_key_1_active: 'FALSE',
        access_key_1_last_rotated: hoursAgo(30),
        access_key_2_active: 'TRUE',
        access_key_2_last_rotated: hoursAgo(20),
      },
      { user: 'bob', access_key_1_active: 'false', access_key_1_last_rotated: hoursAgo(40) },
    ]);

    const activeOnly = await sut(content, criteria(10, false));
    const all = await sut(content, criteria(10, true));

    expect(activeOnly.candidates.map((c) => [c.userName, c.slots.map((s) => s.slot)])).toEqual([['alice', [2]]]);
    expect(all.candidates.map((c) => [c.userName, c.slots.map((s) => s.slot)])).toEqual([
      ['alice', [1, 2]],
      ['bob', [1]],
    ]);
  });

  it('reports old root slots apart from the users and does not count root as a user', async () => {
    const content = reportBytes([
      {
        user: '<root_account>',
        user_creation_time: '2015-05-05T05:05:05+00:00',
        password_enabled: 'not_supported',
        access_key_1_active: 'true',
        access_key_1_last_rotated: '2019-01-02T03:04:05+00:00',
        access_key_2_active: 'false',
        access_key_2_last_rotated: '2018-01-02T03:04:05+00:00',
      },
      { user: 'alice' },
    ]);

    const activeOnly = await sut(content, criteria(24, false));
    const all = await sut(content, criteria(24, true));

    expect(activeOnly).toEqual({
      candidates: [],
      rootSlots: [{ slot: 1, active: true, lastRotated: new Date('2019-01-02T03:04:05Z') }],
      usersSeen: 1,
      usersYoung: 0,
    });
    expect(all.rootSlots).toEqual([
      { slot: 1, active: true, lastRotated: new Date('2019-01-02T03:04:05Z') },
      { slot: 2, active: false, lastRotated: new Date('2018-01-02T03:04:05Z') },
    ]);
  });

  it('counts users created after the cutoff as young', async () => {
    const content = reportBytes([
      { user: 'old', user_creation_time: hoursAgo(100) },
      { user: 'new', user_creation_time: hoursAgo(2) },
    ]);

    const result = await sut(content, criteria(24));

    expect(result).toMatchObject({ usersSeen: 2, usersYoung: 1 });
  });

  it('finds the columns it needs wherever the header puts them', async () => {
    const columns = [...AWS_REPORT_COLUMNS].reverse();
    const content = reportBytes(
      [{ user: 'alice', access_key_2_active: 'true', access_key_2_last_rotated: '2025-01-02T03:04:05+00:00' }],
      columns,
    );

    const result = await sut(content, criteria(1));

    expect(result.candidates).toEqual([
      expect.objectContaining({
        userName: 'alice',
        userCreationTime: new Date('2020-01-01T00:00:00Z'),
        slots: [{ slot: 2, active: true, lastRotated: new Date('2025-01-02T03:04:05Z') }],
      }),
    ]);
  });

  it('reads CRLF line endings, a byte order mark, quoted fields and dates with Z or milliseconds', async () => {
    const csv = [
      '\uFEFFuser,arn,user_creation_time,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated',
      'alice,"arn:aws:iam::123456789012:user/a,b/alice",2020-01-01T00:00:00Z,true,2025-01-02T03:04:05.123Z,false,N/A',
      '',
      'bob,arn:aws:iam::123456789012:user/bob,2020-01-01T00:00:00+00:00,false,N/A,True,2025-02-02T03:04:05+00:00',
    ].join('\r\n');

    const result = await sut(new TextEncoder().encode(csv), criteria(1));

    expect(result.usersSeen).toBe(2);
    expect(result.candidates.map((c) => [c.userName, c.slots])).toEqual([
      ['alice', [{ slot: 1, active: true, lastRotated: new Date('2025-01-02T03:04:05.123Z') }]],
      ['bob', [{ slot: 2, active: true, lastRotated: new Date('2025-02-02T03:04:05Z') }]],
    ]);
  });

  it('accepts a report with a header and no rows', async () => {
    const result = await sut(new TextEncoder().encode(AWS_REPORT_COLUMNS.join(',') + '\n'), criteria(1));

    expect(result).toEqual({ candidates: [], rootSlots: [], usersSeen: 0, usersYoung: 0 });
  });

  it('rejects a header without the columns it needs, naming them', async () => {
    const columns = AWS_REPORT_COLUMNS.filter((c) => c !== 'access_key_2_last_rotated' && c !== 'user_creation_time');

    const err = await malformedError(reportBytes([{ user: 'alice' }], columns));

    expect(err.message).toBe(
      'The credential report cannot be read: its header lacks user_creation_time, access_key_2_last_rotated',
    );
  });

  it('rejects empty content', async () => {
    const err = await malformedError('');

    expect(err.message).toBe('The credential report cannot be read: it is empty');
  });

  it('rejects content that is still base64, because the SDK has already decoded it', async () => {
    const base64 = Buffer.from(reportCsv([{ user: 'alice' }])).toString('base64');

    const err = await malformedError(base64);

    expect(err.message).toMatch(/its header lacks user, user_creation_time/);
  });

  it('rejects bytes that are not UTF-8', async () => {
    await malformedError(new Uint8Array([0x75, 0x73, 0xff, 0xfe, 0x0a]));
  });

  it.each([
    ['a row with too few fields', `${AWS_REPORT_COLUMNS.join(',')}\nalice,arn,2020-01-01T00:00:00+00:00\n`],
    ['an unclosed quote', `${AWS_REPORT_COLUMNS.join(',')}\n"alice,${'N/A,'.repeat(20)}N/A\n`],
  ])('rejects invalid CSV: %s', async (_case, csv) => {
    const err = await malformedError(csv);

    expect(err.message).toMatch(/^The credential report cannot be read: it is not valid CSV \(CSV_[A-Z_]+\)$/);
  });

  it.each([
    [{ access_key_1_last_rotated: 'yesterday' }, 'row 2 has an invalid access_key_1_last_rotated'],
    [{ access_key_2_last_rotated: '2025-13-45T00:00:00+00:00' }, 'row 2 has an invalid access_key_2_last_rotated'],
    [{ access_key_1_last_rotated: '1' }, 'row 2 has an invalid access_key_1_last_rotated'],
    [{ access_key_2_active: 'yes' }, 'row 2 has an invalid access_key_2_active'],
    [{ user_creation_time: 'N/A' }, 'row 2 has no user_creation_time'],
    [{ user: '' }, 'row 2 has no user'],
  ])('rejects a bad value %j without echoing it', async (bad, reason) => {
    const content = reportBytes([{ user: 'alice' }, { user: 'bob', ...bad }]);

    const err = await malformedError(content);

    expect(err.message).toBe(`The credential report cannot be read: ${reason}`);
  });

  // Speed is measured outside Jest (csv-parse runs several times slower inside Jest's VM sandbox).
  it('keeps only the candidates of a large report', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => ({
      user: `user-${i}`,
      access_key_1_active: 'true',
      access_key_1_last_rotated: hoursAgo(i % 100 === 0 ? 1000 : 10),
      access_key_2_active: 'false',
      access_key_2_last_rotated: hoursAgo(2000),
    }));
    const content = reportBytes(rows);

    const result = await sut(content, criteria(500));

    expect(result.usersSeen).toBe(5_000);
    expect(result.candidates).toHaveLength(50);
    expect(result.candidates[1]).toEqual(
      expect.objectContaining({
        userName: 'user-100',
        userCreationTime: new Date('2020-01-01T00:00:00Z'),
        slots: [{ slot: 1, active: true, lastRotated: new Date(hoursAgo(1000)) }],
      }),
    );
  });

  it('reads exactly what csv-parse reads, quoted rows and line breaks inside quotes included, in report order', async () => {
    const names = Array.from({ length: 60 }, (_, i) =>
      i % 7 === 0 ? `smith,user${i}` : i % 11 === 0 ? `quote"d${i}` : `svc-${String(i).padStart(3, '0')}`,
    );
    const rows = names.map((user, i) => ({
      user,
      access_key_1_active: i % 2 === 0 ? 'true' : 'TRUE',
      access_key_1_last_rotated: reportDate(new Date(NOW - (i + 1) * 10 * HOUR_MS)),
    }));
    // A quoted field spanning a line break, as RFC 4180 allows, in a column the parser does not read.
    const csv = reportCsv(rows).replace(
      ',arn:aws:iam::123456789012:user/svc-005,',
      ',"arn:aws:iam::123456789012:user/\nsvc-005",',
    );
    expect(csv).toContain('"arn:aws:iam::123456789012:user/\nsvc-005"');

    const result = await sut(new TextEncoder().encode(csv), criteria(0));

    const reference: string[][] = parseCsv(csv, { skip_empty_lines: true }).slice(1);
    expect(result.usersSeen).toBe(reference.length);
    expect(result.candidates.map((c) => c.userName)).toEqual(reference.map((r) => r[0]));
    expect(result.candidates.map((c) => c.slots[0].lastRotated.getTime())).toEqual(
      reference.map((r) => Date.parse(r[AWS_REPORT_COLUMNS.indexOf('access_key_1_last_rotated')])),
    );
  });
});
