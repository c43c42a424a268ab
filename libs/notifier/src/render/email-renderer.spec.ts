import type { AccountOutcome } from '@app/iam';
import { DAY_MS } from '../notifier.constants';
import type { DigestChanges } from '../ladder/notifier-ladder.service';
import { ownerKey, type ClassifiedKey, type OwnerResolution, type ResolvedKey } from '../notifier.types';
import { EmailRenderer } from './email-renderer';
import { escapeHtml } from './html';

const now = new Date('2026-11-23T12:00:00.000Z');
const SELF = '111111111111';
const PROD = '200000000001';
const DENIED = '200000000002';
const okAccount = (accountId: string, accountName?: string): AccountOutcome => ({
  accountId,
  accountName,
  status: 'ok',
  dataReadAt: now,
  keyCount: 1,
  stats: {
    usersSeen: 1,
    usersSkippedYoung: 0,
    usersVanished: 0,
    callsByAction: {},
    throttles: 0,
    retries: 0,
    peakInFlight: 1,
    durationMs: 1,
  },
});

function key(
  userName: string,
  accessKeyId: string,
  ageDays: number,
  extra: Partial<ClassifiedKey> = {},
): ClassifiedKey {
  const createdDate = new Date(now.getTime() - ageDays * DAY_MS - 3_600_000);
  return {
    accountId: SELF,
    userName,
    accessKeyId,
    status: 'Active',
    createdDate,
    ageDays,
    state: ageDays >= 20 ? 'expired' : 'warning',
    expiresAt: new Date(createdDate.getTime() + 20 * DAY_MS),
    ...extra,
  };
}

const hostile = '<script>+=,.@_-';

describe(EmailRenderer.name, () => {
  let sut: EmailRenderer;

  beforeEach(() => {
    sut = new EmailRenderer({
      now,
      policy: { warnAgeDays: 15, expireAgeDays: 20 },
      partition: 'aws',
      accountLabel: 'prod',
    });
  });

  it('renders an owner email with every key, its age, status, expiry and console link (snapshot)', () => {
    const message = sut.owner([
      key('deploy-bot', 'AKIAIOSFODNN7EXAMPLE', 31),
      key('alice.smith', 'AKIAI44QH8DHBEXAMPLE', 16, { status: 'Inactive', accountId: PROD, accountName: 'prod' }),
    ]);

    expect(message.subject).toBe('[prod] Rotate now: 1 AWS access key past 20 days, 1 more expiring soon');
    expect(message.text).toContain("They are in 2 AWS accounts: sign in to each key's own account to rotate it.");
    expect(message.html).toMatchSnapshot();
    expect(message.text).toMatchSnapshot();
  });

  it('says when a reminder-only message expires', () => {
    expect(sut.owner([key('alice', 'AKIA1', 17), key('alice', 'AKIA2', 15)]).subject).toBe(
      '[prod] Reminder: 2 AWS access keys expire on 2026-11-26',
    );
  });

  it('escapes a hostile user name everywhere and url-encodes it in the link', () => {
    const message = sut.owner([key(hostile, 'AKIA"<b>', 21)]);

    expect(message.html).not.toContain('<script>');
    expect(message.html).not.toContain('<b>');
    expect(message.html).toContain('&lt;script&gt;+=,.@_-');
    expect(message.html).toContain('AKIA&quot;&lt;b&gt;');
    expect(message.html).toContain(
      'href="https://console.aws.amazon.com/iam/home#/users/details/%3Cscript%3E%2B%3D%2C.%40_-?section=security_credentials"',
    );
    expect(message.text).toContain(`User: ${hostile}`);
  });

  it("names the account of each key and links to that account's sign-in page before the IAM user page", () => {
    const message = sut.owner([key('alice', 'AKIA1', 16, { accountId: PROD, accountName: '<prod>' })]);

    expect(message.text).toContain(
      '- Account: 200000000001 (<prod>)\n  User: alice\n  Key: AKIA1\n  Age: 16 days\n  Status: Active\n  Expires: 2026-11-27 11:00 UTC\n' +
        '  Rotate before 2026-11-27 11:00 UTC: sign in to account 200000000001 at https://200000000001.signin.aws.amazon.com/console, ' +
        'then open https://console.aws.amazon.com/iam/home#/users/details/alice?section=security_credentials',
    );
    expect(message.html).toContain('200000000001<br /><span style="color:#667085">&lt;prod&gt;</span>');
    expect(message.html).toMatch(
      /<a href="https:\/\/200000000001\.signin\.aws\.amazon\.com\/console" style="color:#175cd3"\s*>Sign in to 200000000001<\/a/,
    );
    expect(message.text).not.toContain('They are in');
  });

  it('escapes an invalid owner tag value shown to the security team', () => {
    const owners = new Map<string, OwnerResolution>([
      [`${SELF}/bob`, { kind: 'fallback', reason: 'invalid-address', value: '"><img src=x onerror=alert(1)>' }],
    ]);

    const message = sut.fallback([key('bob', 'AKIA3', 18)], owners);

    expect(message.html).not.toContain('<img');
    expect(message.html).toContain('invalid address &quot;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&quot;');
    expect(message.subject).toBe('[prod] Unowned: 1 AWS access key past 15 days without a valid owner');
  });

  it('counts the digest and lists keys oldest first with their owners', () => {
    const owners = new Map<string, OwnerResolution>([
      [`${SELF}/a`, { kind: 'owner', address: 'a@example.com' }],
      [`${SELF}/b`, { kind: 'fallback', reason: 'missing-tag' }],
    ]);
    const message = sut.digest({
      keys: [key('a', 'AKIAOLD', 40), key('b', 'AKIANEW', 15)],
      owners,
      keysSeen: 9,
      usersSeen: 5,
      accounts: [okAccount(SELF)],
    });

    expect(message.subject).toBe('[prod] Access key digest: 1 expired, 1 warned (2 of 9 keys)');
    expect(message.text).toContain(
      '9 keys seen on 5 users; 2 past 15 days: 1 expired (past 20 days), 1 warned, 1 without a valid owner.',
    );
    expect(message.text.indexOf('AKIAOLD')).toBeLessThan(message.text.indexOf('AKIANEW'));
    expect(message.text).toContain('Owner: a@example.com');
    expect(message.text).toContain('Owner: no owner tag');
  });

  it('groups the digest by account after the accounts not scanned (first, as not checked) and the skipped ones', () => {
    const owners = new Map<string, OwnerResolution>([
      [ownerKey({ accountId: SELF, userName: 'a' }), { kind: 'owner', address: 'a@example.com' }],
      [ownerKey({ accountId: PROD, userName: 'a' }), { kind: 'fallback', reason: 'missing-tag' }],
    ]);
    const message = sut.digest({
      keys: [
        key('a', 'AKIAPROD1', 40, { accountId: PROD, accountName: 'prod' }),
        key('a', 'AKIASELF1', 30),
        key('b', 'AKIAPROD2', 16, { accountId: PROD, accountName: 'prod' }),
      ],
      owners,
      keysSeen: 20,
      usersSeen: 12,
      accounts: [
        okAccount(SELF, 'management'),
        okAccount(PROD, 'prod'),
        {
          accountId: DENIED,
          accountName: 'sandbox',
          status: 'failed',
          code: 'ACCOUNT_ACCESS_DENIED',
          action: 'AssumeRole',
          message: 'AssumeRole into 200000000002 was denied',
        },
        { accountId: '200000000003', status: 'skipped', reason: 'SUSPENDED' },
      ],
    });

    expect(message.subject).toBe(
      '[prod] Access key digest: 1 account NOT SCANNED, 2 expired, 1 warned (3 of 20 keys in 2 accounts)',
    );
    const lines = message.text.split('\n');
    const at = (line: string) => lines.indexOf(line);
    expect(message.text).toContain(
      '20 keys seen on 12 users in 2 scanned accounts; 3 past 15 days: 2 expired (past 20 days), 1 warned, 2 without a valid owner. Grouped by account, oldest first.',
    );
    expect(at('Not scanned: 1 account (their keys were NOT checked)')).toBeGreaterThan(0);
    expect(message.text).toContain(
      '- Account: 200000000002 (sandbox)\n  Error: ACCOUNT_ACCESS_DENIED (AssumeRole)\n  Message: AssumeRole into 200000000002 was denied',
    );
    expect(at('Skipped: 1 account not active')).toBeGreaterThan(
      at('Not scanned: 1 account (their keys were NOT checked)'),
    );
    expect(at('Account 200000000001 (prod): 2 AWS access keys')).toBeGreaterThan(at('Skipped: 1 account not active'));
    expect(at('Account 111111111111: 1 AWS access key')).toBeGreaterThan(
      at('Account 200000000001 (prod): 2 AWS access keys'),
    );
    // Each group keeps the scan's order; the same user name is owned per account.
    const ids = [...message.text.matchAll(/Key: (AKIA\w+)/g)].map((m) => m[1]);
    expect(ids).toEqual(['AKIAPROD1', 'AKIAPROD2', 'AKIASELF1']);
    expect(message.text).toMatch(/User: a\n {2}Key: AKIAPROD1\n.*\n.*\n {2}Owner: no owner tag/);
    expect(message.text).toMatch(/User: a\n {2}Key: AKIASELF1\n.*\n.*\n {2}Owner: a@example.com/);
    expect(message.html).toContain(
      '<h2 style="margin:20px 0 8px;font-size:16px;color:#b42318">Not scanned: 1 account (their keys were NOT checked)</h2>',
    );
  });

  it('keeps the self-mode digest to one table without account headings', () => {
    const message = sut.digest({
      keys: [key('a', 'AKIAOLD', 40)],
      owners: new Map(),
      keysSeen: 1,
      usersSeen: 1,
      accounts: [okAccount(SELF)],
    });

    expect(message.subject).toBe('[prod] Access key digest: 1 expired, 0 warned (1 of 1 keys)');
    expect(message.text).not.toContain('Account 111111111111:');
    expect(message.text).toContain('- Account: 111111111111\n  User: a');
  });

  it('links to the console and the sign-in page of the configured partition', () => {
    sut = new EmailRenderer({ now, policy: { warnAgeDays: 15, expireAgeDays: 20 }, partition: 'aws-us-gov' });
    const message = sut.owner([key('alice', 'AKIA1', 16)]);
    expect(message.html).toContain('https://console.amazonaws-us-gov.com/iam/home#/users/details/alice');
    expect(message.html).toContain('https://111111111111.signin.amazonaws-us-gov.com/console');
  });

  describe('with the ladder', () => {
    const ladder = { warnAgeDays: 15, finalAgeDays: 18, expireAgeDays: 20, remindEveryDays: 7 };
    const resolved = (accessKeyId: string, extra: Partial<ResolvedKey> = {}): ResolvedKey => ({
      ladderId: 1,
      accountId: SELF,
      userName: 'alice',
      accessKeyId,
      resolution: 'rotated',
      rotatedTo: 'AKIANEW',
      closedAt: new Date('2026-11-22T07:00:00Z'),
      ...extra,
    });

    beforeEach(() => {
      sut = new EmailRenderer({ now, policy: { warnAgeDays: 15, expireAgeDays: 20 }, partition: 'aws', ladder });
    });

    it("names each key's stage, says the cadence, and reports the owner's resolved keys after them", () => {
      const message = sut.owner(
        [key('alice', 'AKIAFINAL', 18, { stage: 'final' }), key('alice', 'AKIAWARN', 15, { stage: 'warning' })],
        [resolved('AKIAGONE'), resolved('AKIAOFF', { resolution: 'deactivated', rotatedTo: null })],
      );

      expect(message.subject).toBe('Final warning: 2 AWS access keys expire on 2026-11-25');
      expect(message.text).toContain('Key: AKIAFINAL\n  Notice: Final warning\n  Age: 18 days');
      expect(message.text).toContain('Key: AKIAWARN\n  Notice: Warning');
      expect(message.text).toContain(
        'You get one email per stage: at 15 days, a final warning at 18 days, at 20 days when the key expires, then a reminder every 7 days until it is rotated, deleted or deactivated.',
      );
      expect(message.text).toContain(
        'Resolved since our last email: 2 AWS access keys\n- Account: 111111111111\n  User: alice\n  Key: AKIAGONE\n  Resolved: Rotated (new key AKIANEW)\n  Seen on: 2026-11-22 07:00 UTC',
      );
      expect(message.text).toContain('Key: AKIAOFF\n  Resolved: Deactivated');
      expect(message.html).toContain('>Final warning<');
      expect(sut.owner([key('bob', 'AKIAREMIND', 34, { stage: 'reminder-2' })]).text).toContain('Notice: Reminder 2');
    });

    it('shows the digest overdue days, what changed since the last digest and the median rotation times', () => {
      const changes: DigestChanges = {
        since: new Date('2026-11-22T12:00:00Z'),
        newlyPastWarning: [
          { accountId: SELF, userName: 'new', accessKeyId: 'AKIANEWLYOLD', openedAt: new Date('2026-11-23T12:00:00Z') },
        ],
        resolved: [resolved('AKIAGONE', { resolution: 'deleted', rotatedTo: null })],
        rotation30: { medianDays: 2.25, rotations: 3 },
        rotation90: { medianDays: null, rotations: 0 },
      };
      const message = sut.digest({
        keys: [key('old', 'AKIAOLD', 23), key('new', 'AKIANEWLYOLD', 15)],
        owners: new Map(),
        keysSeen: 4,
        usersSeen: 2,
        accounts: [okAccount(SELF)],
        changes,
      });

      expect(message.text).toContain('Key: AKIAOLD\n  Age: 23 days');
      expect(message.text).toContain('Expired: 2026-11-20 11:00 UTC\n  Overdue: 3 days');
      expect(message.text).toContain('Overdue: -');
      expect(message.text).toContain('Since the last digest (2026-11-22 12:00 UTC): 1 newly past 15 days, 1 resolved');
      expect(message.text).toContain(
        'Median time from warning to rotation: 2.3 days over the last 30 days (3 keys); none rotated in the last 90 days.',
      );
      expect(message.text).toContain(
        'Newly past 15 days: 1 AWS access key\n- Account: 111111111111\n  User: new\n  Key: AKIANEWLYOLD\n  First seen past it: 2026-11-23 12:00 UTC',
      );
      expect(message.text).toContain('Resolved since the last digest: 1 AWS access key');
      expect(message.text).toContain('Key: AKIAGONE\n  Resolved: Deleted');
    });

    it('says the first digest has nothing to compare with', () => {
      const message = sut.digest({
        keys: [key('old', 'AKIAOLD', 23)],
        owners: new Map(),
        keysSeen: 1,
        usersSeen: 1,
        accounts: [okAccount(SELF)],
        changes: {
          since: null,
          newlyPastWarning: [],
          resolved: [],
          rotation30: { medianDays: null, rotations: 0 },
          rotation90: { medianDays: null, rotations: 0 },
        },
      });
      expect(message.text).toContain('Changes: this is the first digest, nothing earlier to compare with');
      expect(message.text).not.toContain('Newly past');
    });
  });
});

describe(escapeHtml.name, () => {
  it('escapes the five HTML-significant characters and leaves IAM name characters alone', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>+=,.@_-`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;+=,.@_-',
    );
  });
});
