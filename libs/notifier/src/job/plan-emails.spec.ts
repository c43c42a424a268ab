import { DAY_MS } from '../notifier.constants';
import type { ClassifiedKey, OwnerResolution } from '../notifier.types';
import { EmailRenderer } from '../render/email-renderer';
import { planEmails, type EmailPlanInput } from './plan-emails';

const now = new Date('2026-11-23T12:00:00Z');
const key = (userName: string, accessKeyId: string, ageDays: number): ClassifiedKey => ({
  userName,
  accessKeyId,
  status: 'Active',
  createdDate: new Date(now.getTime() - ageDays * DAY_MS),
  ageDays,
  state: ageDays >= 20 ? 'expired' : 'warning',
  expiresAt: new Date(now.getTime() + (20 - ageDays) * DAY_MS),
});

describe(planEmails.name, () => {
  let renderer: EmailRenderer;
  let input: EmailPlanInput;
  let sut: typeof planEmails;

  beforeEach(() => {
    renderer = new EmailRenderer({ now, policy: { warnAgeDays: 15, expireAgeDays: 20 }, partition: 'aws' });
    input = {
      keys: [
        key('ci', 'AKIA1', 40),
        key('alice', 'AKIA2', 30),
        key('ci-2', 'AKIA3', 18),
        key('nobody', 'AKIA4', 16),
        key('alice', 'AKIA5', 15),
      ],
      owners: new Map<string, OwnerResolution>([
        ['ci', { kind: 'owner', address: 'ops@example.com' }],
        ['ci-2', { kind: 'owner', address: 'ops@example.com' }],
        ['alice', { kind: 'owner', address: 'alice@example.com' }],
        ['nobody', { kind: 'fallback', reason: 'invalid-address', value: 'nobody' }],
      ]),
      fallbackRecipients: ['sec1@example.com', 'sec2@example.com'],
      keysSeen: 12,
      usersSeen: 6,
    };
    sut = planEmails;
  });

  it('sends one message per owner with all their keys, the unowned keys and the digest to each fallback recipient', () => {
    const emails = sut(input, renderer);

    expect(emails.map((e) => [e.kind, e.to, e.accessKeyIds])).toEqual([
      ['owner', 'ops@example.com', ['AKIA1', 'AKIA3']],
      ['owner', 'alice@example.com', ['AKIA2', 'AKIA5']],
      ['fallback', 'sec1@example.com', ['AKIA4']],
      ['fallback', 'sec2@example.com', ['AKIA4']],
      ['digest', 'sec1@example.com', ['AKIA1', 'AKIA2', 'AKIA3', 'AKIA4', 'AKIA5']],
      ['digest', 'sec2@example.com', ['AKIA1', 'AKIA2', 'AKIA3', 'AKIA4', 'AKIA5']],
    ]);
  });

  it('sends nothing when no key is past the warning age', () => {
    expect(sut({ ...input, keys: [] }, renderer)).toEqual([]);
  });

  it('skips the unowned notice when every key has an owner', () => {
    const kinds = sut({ ...input, keys: input.keys.filter((k) => k.userName !== 'nobody') }, renderer).map(
      (e) => e.kind,
    );
    expect(kinds).toEqual(['owner', 'owner', 'digest', 'digest']);
  });
});
