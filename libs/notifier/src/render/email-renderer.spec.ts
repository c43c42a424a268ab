import { DAY_MS } from '../notifier.constants';
import type { ClassifiedKey, OwnerResolution } from '../notifier.types';
import { EmailRenderer } from './email-renderer';
import { escapeHtml } from './html';

const now = new Date('2026-11-23T12:00:00.000Z');

function key(
  userName: string,
  accessKeyId: string,
  ageDays: number,
  extra: Partial<ClassifiedKey> = {},
): ClassifiedKey {
  const createdDate = new Date(now.getTime() - ageDays * DAY_MS - 3_600_000);
  return {
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
      key('alice.smith', 'AKIAI44QH8DHBEXAMPLE', 16, { status: 'Inactive' }),
    ]);

    expect(message.subject).toBe('[prod] Rotate now: 1 AWS access key past 20 days, 1 more expiring soon');
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

  it('escapes an invalid owner tag value shown to the security team', () => {
    const owners = new Map<string, OwnerResolution>([
      ['bob', { kind: 'fallback', reason: 'invalid-address', value: '"><img src=x onerror=alert(1)>' }],
    ]);

    const message = sut.fallback([key('bob', 'AKIA3', 18)], owners);

    expect(message.html).not.toContain('<img');
    expect(message.html).toContain('invalid address &quot;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&quot;');
    expect(message.subject).toBe('[prod] Unowned: 1 AWS access key past 15 days without a valid owner');
  });

  it('counts the digest and lists keys oldest first with their owners', () => {
    const owners = new Map<string, OwnerResolution>([
      ['a', { kind: 'owner', address: 'a@example.com' }],
      ['b', { kind: 'fallback', reason: 'missing-tag' }],
    ]);
    const message = sut.digest({
      keys: [key('a', 'AKIAOLD', 40), key('b', 'AKIANEW', 15)],
      owners,
      keysSeen: 9,
      usersSeen: 5,
    });

    expect(message.subject).toBe('[prod] Access key digest: 1 expired, 1 warned (2 of 9 keys)');
    expect(message.text).toContain(
      '9 keys seen on 5 users; 2 past 15 days: 1 expired (past 20 days), 1 warned, 1 without a valid owner.',
    );
    expect(message.text.indexOf('AKIAOLD')).toBeLessThan(message.text.indexOf('AKIANEW'));
    expect(message.text).toContain('Owner: a@example.com');
    expect(message.text).toContain('Owner: no owner tag');
  });

  it('links to the console of the configured partition', () => {
    sut = new EmailRenderer({ now, policy: { warnAgeDays: 15, expireAgeDays: 20 }, partition: 'aws-us-gov' });
    expect(sut.owner([key('alice', 'AKIA1', 16)]).html).toContain(
      'https://console.amazonaws-us-gov.com/iam/home#/users/details/alice',
    );
  });
});

describe(escapeHtml.name, () => {
  it('escapes the five HTML-significant characters and leaves IAM name characters alone', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>+=,.@_-`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;+=,.@_-',
    );
  });
});
