import type { Exemption } from '@app/findings';
import { DAY_MS } from '../notifier.constants';
import type { ClassifiedKey } from '../notifier.types';
import { EmailRenderer } from '../render/email-renderer';
import { applyKeyExemptions } from './key-exemptions';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const ACCOUNT = '111111111111';

function key(userName: string, accessKeyId: string, state: ClassifiedKey['state'] = 'expired'): ClassifiedKey {
  return {
    accountId: ACCOUNT,
    userName,
    accessKeyId,
    status: 'Active',
    createdDate: new Date(NOW.getTime() - 120 * DAY_MS),
    ageDays: 120,
    state,
    expiresAt: new Date(NOW.getTime() - 30 * DAY_MS),
  };
}

function exemption(userName: string, expiresInMs: number, more: Partial<Exemption> = {}): Exemption {
  return {
    source: 'file',
    match: { userName },
    findings: 'all',
    reason: `because of ${userName}`,
    expiresAt: new Date(NOW.getTime() + expiresInMs),
    line: 2,
    ...more,
  };
}

describe(applyKeyExemptions.name, () => {
  let sut: typeof applyKeyExemptions;

  beforeEach(() => {
    sut = applyKeyExemptions;
  });

  it('silences the reminder of a key an exemption covering old applies to, and of none other', () => {
    const keys = [key('vendor', 'AKIA1'), key('alice', 'AKIA2', 'warning'), key('bob', 'AKIA3')];
    const unusedOnly = exemption('bob', DAY_MS, { findings: ['unused'] });

    const result = sut({
      keys,
      declared: [exemption('vendor', 30 * DAY_MS), unusedOnly],
      tagExemptions: new Map(),
      now: NOW,
    });

    expect(result.remind.map((k) => k.accessKeyId)).toEqual(['AKIA2', 'AKIA3']);
    expect(result.exempted.map((x) => [x.key.accessKeyId, x.exemption.reason])).toEqual([
      ['AKIA1', 'because of vendor'],
    ]);
  });

  it('takes a user tag exemption as well, by account and user', () => {
    const tag: Exemption = {
      source: 'tag',
      match: { accountId: ACCOUNT, userName: 'alice' },
      findings: 'all',
      reason: 'Terraform-managed break-glass',
      expiresAt: new Date(NOW.getTime() + 5 * DAY_MS),
    };

    const result = sut({
      keys: [key('alice', 'AKIA2')],
      declared: [],
      tagExemptions: new Map([[`${ACCOUNT}/alice`, tag]]),
      now: NOW,
    });

    expect(result.remind).toEqual([]);
    expect(result.exempted.map((x) => x.exemption.source)).toEqual(['tag']);
    expect(result.expiring).toEqual([tag]);
  });

  it('reminds again at the instant an exemption expires, and lists the key as lapsed', () => {
    const atExpiry = exemption('vendor', 0);
    const oneMsBefore = sut({
      keys: [key('vendor', 'AKIA1')],
      declared: [exemption('vendor', 1)],
      tagExemptions: new Map(),
      now: NOW,
    });
    const atInstant = sut({ keys: [key('vendor', 'AKIA1')], declared: [atExpiry], tagExemptions: new Map(), now: NOW });

    expect(oneMsBefore.remind).toEqual([]);
    expect(atInstant.remind.map((k) => k.accessKeyId)).toEqual(['AKIA1']);
    expect(atInstant.lapsed.map((x) => [x.key.accessKeyId, x.exemption])).toEqual([['AKIA1', atExpiry]]);
  });

  it('lists lapsed only for keys past their age, not those merely warned', () => {
    const result = sut({
      keys: [key('vendor', 'AKIA1', 'warning')],
      declared: [exemption('vendor', -DAY_MS)],
      tagExemptions: new Map(),
      now: NOW,
    });

    expect(result.remind).toHaveLength(1);
    expect(result.lapsed).toEqual([]);
  });

  it('lists exemptions expiring within 14 days and those expired within the last day (since the last daily digest)', () => {
    const declared = [
      exemption('a', 14 * DAY_MS),
      exemption('b', 14 * DAY_MS + 1),
      exemption('c', -1),
      exemption('d', -DAY_MS),
      exemption('e', -DAY_MS - 1),
    ];

    const result = sut({ keys: [], declared, tagExemptions: new Map(), now: NOW });

    expect(result.expiring.map((e) => e.match.userName)).toEqual(['a']);
    expect(result.expiredRecently.map((e) => e.match.userName)).toEqual(['d', 'c']);
  });

  it('puts lapsed, expiring, expired and exempted sections in the digest', () => {
    const lapsedExemption = exemption('vendor', -2 * 3_600_000, { ticket: 'SEC-9', approvedBy: 'sec-lead' });
    const result = sut({
      keys: [key('vendor', 'AKIA1'), key('kept', 'AKIA2')],
      declared: [lapsedExemption, exemption('kept', 3 * DAY_MS)],
      tagExemptions: new Map(),
      now: NOW,
    });
    const renderer = new EmailRenderer({ now: NOW, policy: { warnAgeDays: 76, expireAgeDays: 90 }, partition: 'aws' });
    const { remind, ...exemptions } = result;

    const { text } = renderer.digest({
      keys: remind,
      owners: new Map(),
      keysSeen: 2,
      usersSeen: 2,
      accounts: [],
      exemptions,
    });

    expect(text).toContain('Exemption lapsed: 1 AWS access key past their age, owners reminded again');
    expect(text).toContain('Exemption expired: 2026-11-23 10:00 UTC: because of vendor');
    expect(text).toContain('Exemptions expiring within 14 days: 1');
    expect(text).toContain("Exemptions expired since yesterday's digest: 1");
    expect(text).toContain('Ticket: SEC-9');
    expect(text).toContain('Approved by: sec-lead');
    expect(text).toContain('Exempted: 1 AWS access key (no owner reminder)');
    expect(text).toContain('Exempted until: 2026-11-26 12:00 UTC: because of kept');
  });
});
