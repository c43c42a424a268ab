import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EnvValidationError } from '@app/platform';
import { ExemptionsFileError, loadExemptionsFile, parseExemptionsFile } from './exemptions-file.parser';

const NOW = new Date('2026-01-10T08:00:00.000Z');
const OPTIONS = { fileName: 'exemptions.yaml', now: NOW, maxDays: 180 };

function problemsOf(text: string): string[] {
  try {
    parseExemptionsFile(text, OPTIONS);
  } catch (err) {
    if (err instanceof ExemptionsFileError) {
      return err.problems;
    }
    throw err;
  }
  throw new Error('expected the file to be refused');
}

const GOOD_ENTRY = `
  - match: { user_name: ci-bot }
    reason: Deploy key, rotated by the pipeline
    expires_at: 2026-03-01`;

describe(parseExemptionsFile.name, () => {
  let sut: typeof parseExemptionsFile;

  beforeEach(() => {
    sut = parseExemptionsFile;
  });

  it('reads every field, with its line, the covered findings in code order and all by default', () => {
    const text = `# reviewed in PR 42
exemptions:
  - match:
      account_id: "012345678901"
      user_name: "svc-legacy-*"
      access_key_id: AKIAIOSFODNN7EXAMPLE
    findings: [two_active, old]
    reason: "  Vendor appliance; cannot rotate until the upgrade  "
    expires_at: 2026-07-09T08:00:00Z
    ticket: SEC-1234
    approved_by: security@example.com
${GOOD_ENTRY}
`;
    expect(sut(text, OPTIONS)).toEqual([
      {
        source: 'file',
        match: { accountId: '012345678901', userName: 'svc-legacy-*', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
        findings: ['old', 'two_active'],
        reason: 'Vendor appliance; cannot rotate until the upgrade',
        expiresAt: new Date('2026-07-09T08:00:00.000Z'),
        ticket: 'SEC-1234',
        approvedBy: 'security@example.com',
        line: 3,
      },
      {
        source: 'file',
        match: { userName: 'ci-bot' },
        findings: 'all',
        reason: 'Deploy key, rotated by the pipeline',
        expiresAt: new Date('2026-03-01T00:00:00.000Z'),
        line: 13,
      },
    ]);
  });

  it.each(['', '# nothing yet\n', 'exemptions:\n', 'exemptions: []\n'])('declares none in %p', (text) => {
    expect(sut(text, OPTIONS)).toEqual([]);
  });

  it('is an EnvValidationError, so boot reports it like a bad variable', () => {
    expect(() => sut('exemptions: {}', OPTIONS)).toThrow(EnvValidationError);
    expect(() => sut('exemptions: {}', OPTIONS)).toThrow(
      'Invalid configuration:\n  - exemptions.yaml line 1: exemptions: must be a list',
    );
  });

  it.each([
    [
      'a missing reason',
      `exemptions:\n  - match: { user_name: bob }\n    expires_at: 2026-02-01\n`,
      ['exemptions.yaml line 2: exemptions[0].reason: required: why the key may keep its finding'],
    ],
    [
      'an empty reason',
      `exemptions:\n  - match: { user_name: bob }\n    reason: "  "\n    expires_at: 2026-02-01\n`,
      ['exemptions.yaml line 3: exemptions[0].reason: must be a non-empty string of at most 1000 characters'],
    ],
    [
      'a missing expiry',
      `exemptions:\n  - match: { user_name: bob }\n    reason: x\n`,
      [
        'exemptions.yaml line 2: exemptions[0].expires_at: required: an ISO date (2026-07-01) or date-time with a zone (2026-07-01T12:00:00Z)',
      ],
    ],
    [
      'an unparseable date',
      `exemptions:\n  - match: { user_name: bob }\n    reason: x\n    expires_at: 2026-02-30\n`,
      [
        'exemptions.yaml line 4: exemptions[0].expires_at: "2026-02-30" is not an ISO date (2026-07-01) or date-time with a zone (2026-07-01T12:00:00Z)',
      ],
    ],
    [
      'a date-time without a zone',
      `exemptions:\n  - match: { user_name: bob }\n    reason: x\n    expires_at: 2026-02-01T10:00:00\n`,
      [
        'exemptions.yaml line 4: exemptions[0].expires_at: "2026-02-01T10:00:00" is not an ISO date (2026-07-01) or date-time with a zone (2026-07-01T12:00:00Z)',
      ],
    ],
    [
      'a date past the maximum',
      `exemptions:\n  - match: { user_name: bob }\n    reason: x\n    expires_at: 2026-07-10\n`,
      [
        'exemptions.yaml line 4: exemptions[0].expires_at: 2026-07-10 is more than 180 days ahead (EXEMPTION_MAX_DAYS): the latest allowed now is 2026-07-09T08:00:00.000Z',
      ],
    ],
    [
      'an unknown field (a typo of a real one)',
      `exemptions:\n  - match: { user_name: bob }\n    reason: x\n    expires_at: 2026-02-01\n    aproved_by: me\n`,
      [
        'exemptions.yaml line 5: exemptions[0].aproved_by: unknown field; allowed: match, findings, reason, expires_at, ticket, approved_by',
      ],
    ],
    [
      'an unknown match field',
      `exemptions:\n  - match:\n      user: bob\n    reason: x\n    expires_at: 2026-02-01\n`,
      [
        'exemptions.yaml line 3: exemptions[0].match.user: unknown field; allowed: account_id, user_name, access_key_id',
        'exemptions.yaml line 2: exemptions[0].match: names nothing: give at least one of account_id, user_name, access_key_id',
      ],
    ],
    [
      'a match that names nothing',
      `exemptions:\n  - match: {}\n    reason: x\n    expires_at: 2026-02-01\n`,
      [
        'exemptions.yaml line 2: exemptions[0].match: names nothing: give at least one of account_id, user_name, access_key_id',
      ],
    ],
    [
      'no match at all',
      `exemptions:\n  - reason: x\n    expires_at: 2026-02-01\n`,
      [
        'exemptions.yaml line 2: exemptions[0].match: required: a mapping naming at least one of account_id, user_name, access_key_id',
      ],
    ],
    [
      'an account id YAML reads as a number (its leading zero lost)',
      `exemptions:\n  - match: { account_id: 012345678901 }\n    reason: x\n    expires_at: 2026-02-01\n`,
      ['exemptions.yaml line 2: exemptions[0].match.account_id: must be a 12-digit account id, as a quoted string'],
    ],
    [
      'a user name IAM could not hold',
      `exemptions:\n  - match: { user_name: "bob smith" }\n    reason: x\n    expires_at: 2026-02-01\n`,
      [
        'exemptions.yaml line 2: exemptions[0].match.user_name: must be an IAM user name (letters, digits, +=,.@_-), with * as a wildcard, as a quoted string',
      ],
    ],
    [
      'a bad access key id',
      `exemptions:\n  - match: { access_key_id: akia123 }\n    reason: x\n    expires_at: 2026-02-01\n`,
      [
        'exemptions.yaml line 2: exemptions[0].match.access_key_id: must be an access key id (16-128 capital letters and digits), as a quoted string',
      ],
    ],
    [
      'an unknown finding code',
      `exemptions:\n  - match: { user_name: bob }\n    findings: [old, stale]\n    reason: x\n    expires_at: 2026-02-01\n`,
      [
        'exemptions.yaml line 3: exemptions[0].findings: must be a non-empty list of old, unused, never_used, two_active (leave it out for all)',
      ],
    ],
    [
      'findings as a string',
      `exemptions:\n  - match: { user_name: bob }\n    findings: old\n    reason: x\n    expires_at: 2026-02-01\n`,
      [
        'exemptions.yaml line 3: exemptions[0].findings: must be a non-empty list of old, unused, never_used, two_active (leave it out for all)',
      ],
    ],
    [
      'a reason of the wrong type',
      `exemptions:\n  - match: { user_name: bob }\n    reason: [a, b]\n    expires_at: 2026-02-01\n`,
      ['exemptions.yaml line 3: exemptions[0].reason: must be a non-empty string of at most 1000 characters'],
    ],
    [
      'an entry that is not a mapping',
      `exemptions:\n  - bob\n`,
      ['exemptions.yaml line 2: exemptions[0]: must be a mapping with match, reason and expires_at'],
    ],
    [
      'an unknown top-level field',
      `exemption:\n  - match: { user_name: bob }\n`,
      ['exemptions.yaml line 1: exemption: unknown field; allowed: exemptions'],
    ],
    [
      'a file that is a list',
      `- match: { user_name: bob }\n`,
      ['exemptions.yaml line 1: the file must be a mapping with an exemptions list'],
    ],
    [
      'a duplicate field',
      `exemptions:\n  - match: { user_name: bob }\n    reason: x\n    reason: y\n    expires_at: 2026-02-01\n`,
      ['exemptions.yaml line 4: Map keys must be unique'],
    ],
    [
      'broken YAML',
      `exemptions:\n  - match: { user_name: bob\n    reason: x\n`,
      expect.arrayContaining([expect.stringMatching(/^exemptions\.yaml line \d: /)]),
    ],
  ])('stops on %s, naming the line and field', (_, text, problems) => {
    expect(problemsOf(text)).toEqual(problems);
  });

  it('names every problem of every entry in one go, each at its own line', () => {
    const text = `exemptions:
${GOOD_ENTRY}
  - match: { user_name: bob }
    expires_at: 2027-01-01
  - match: { user_name: carol }
    reason: x
    expires_at: soon
`;
    expect(problemsOf(text)).toEqual([
      'exemptions.yaml line 6: exemptions[1].reason: required: why the key may keep its finding',
      'exemptions.yaml line 7: exemptions[1].expires_at: 2027-01-01 is more than 180 days ahead (EXEMPTION_MAX_DAYS): the latest allowed now is 2026-07-09T08:00:00.000Z',
      'exemptions.yaml line 10: exemptions[2].expires_at: "soon" is not an ISO date (2026-07-01) or date-time with a zone (2026-07-01T12:00:00Z)',
    ]);
  });

  it('loads an entry already expired (it applies to nothing, and the digest reports it)', () => {
    const [entry] = sut(
      `exemptions:\n  - match: { user_name: bob }\n    reason: x\n    expires_at: 2025-12-01\n`,
      OPTIONS,
    );
    expect(entry.expiresAt).toEqual(new Date('2025-12-01T00:00:00.000Z'));
  });
});

describe(loadExemptionsFile.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'exemptions-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the file and names it in every problem', () => {
    const file = path.join(dir, 'exemptions.yaml');
    writeFileSync(file, `exemptions:${GOOD_ENTRY}\n  - match: {}\n    reason: x\n    expires_at: 2026-02-01\n`);
    expect(() => loadExemptionsFile(file, { now: NOW, maxDays: 180 })).toThrow(
      `Invalid configuration:\n  - EXEMPTIONS_FILE ${file} line 5: exemptions[1].match: names nothing`,
    );
  });

  it('stops on a file that is not there, naming the variable', () => {
    const file = path.join(dir, 'missing.yaml');
    expect(() => loadExemptionsFile(file, { now: NOW, maxDays: 180 })).toThrow(
      `Invalid configuration:\n  - EXEMPTIONS_FILE (${JSON.stringify(file)}): cannot be read (ENOENT)`,
    );
  });
});
