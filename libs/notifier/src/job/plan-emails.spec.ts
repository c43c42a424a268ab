import type { AccountOutcome } from '@app/iam';
import { DAY_MS } from '../notifier.constants';
import { ownerKey, type ClassifiedKey, type OwnerResolution } from '../notifier.types';
import { EmailRenderer } from '../render/email-renderer';
import { planEmails, type EmailPlanInput } from './plan-emails';

const now = new Date('2026-11-23T12:00:00Z');
const SELF = '111111111111';
const MEMBER = '200000000001';
const key = (userName: string, accessKeyId: string, ageDays: number, accountId = SELF): ClassifiedKey => ({
  accountId,
  userName,
  accessKeyId,
  status: 'Active',
  createdDate: new Date(now.getTime() - ageDays * DAY_MS),
  ageDays,
  state: ageDays >= 20 ? 'expired' : 'warning',
  expiresAt: new Date(now.getTime() + (20 - ageDays) * DAY_MS),
});
const owner = (address: string): OwnerResolution => ({ kind: 'owner', address });
const stats = {
  usersSeen: 3,
  usersSkippedYoung: 0,
  usersVanished: 0,
  callsByAction: {},
  throttles: 0,
  retries: 0,
  peakInFlight: 1,
  durationMs: 1,
};
const ok = (accountId: string, keyCount = 1): AccountOutcome => ({
  accountId,
  status: 'ok',
  dataReadAt: now,
  keyCount,
  stats,
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
        [ownerKey({ accountId: SELF, userName: 'ci' }), owner('ops@example.com')],
        [ownerKey({ accountId: SELF, userName: 'ci-2' }), owner('ops@example.com')],
        [ownerKey({ accountId: SELF, userName: 'alice' }), owner('alice@example.com')],
        [
          ownerKey({ accountId: SELF, userName: 'nobody' }),
          { kind: 'fallback', reason: 'invalid-address', value: 'x' },
        ],
      ]),
      fallbackRecipients: ['sec1@example.com', 'sec2@example.com'],
      keysSeen: 12,
      usersSeen: 6,
      accounts: [ok(SELF, 12)],
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

  it("sends one message to an owner of keys in several accounts, and reads each user's owner in its own account", () => {
    const emails = sut(
      {
        ...input,
        keys: [key('deploy', 'AKIASELF', 30), key('deploy', 'AKIAMEMBER', 25, MEMBER), key('ci', 'AKIACI', 16, MEMBER)],
        owners: new Map<string, OwnerResolution>([
          [ownerKey({ accountId: SELF, userName: 'deploy' }), owner('ops@example.com')],
          [ownerKey({ accountId: MEMBER, userName: 'deploy' }), owner('ops@example.com')],
          // The same user name in the other account is another user: its tag, not the own account's, decides.
          [ownerKey({ accountId: MEMBER, userName: 'ci' }), { kind: 'fallback', reason: 'missing-tag' }],
          [ownerKey({ accountId: SELF, userName: 'ci' }), owner('wrong@example.com')],
        ]),
        accounts: [ok(SELF), ok(MEMBER, 2)],
      },
      renderer,
    );

    expect(emails.map((e) => [e.kind, e.to, e.accessKeyIds])).toEqual([
      ['owner', 'ops@example.com', ['AKIASELF', 'AKIAMEMBER']],
      ['fallback', 'sec1@example.com', ['AKIACI']],
      ['fallback', 'sec2@example.com', ['AKIACI']],
      ['digest', 'sec1@example.com', ['AKIASELF', 'AKIAMEMBER', 'AKIACI']],
      ['digest', 'sec2@example.com', ['AKIASELF', 'AKIAMEMBER', 'AKIACI']],
    ]);
    expect(emails[0].text).toContain(`Account: ${SELF}`);
    expect(emails[0].text).toContain(`Account: ${MEMBER}`);
  });

  it('sends nothing when no key is past the warning age', () => {
    expect(sut({ ...input, keys: [] }, renderer)).toEqual([]);
  });

  it('still sends nothing when no key is due and the only other account was skipped (not an error)', () => {
    const accounts: AccountOutcome[] = [ok(SELF), { accountId: MEMBER, status: 'skipped', reason: 'SUSPENDED' }];
    expect(sut({ ...input, keys: [], accounts }, renderer)).toEqual([]);
  });

  it('sends the digest when no key is due but an account could not be scanned: never a silent "nothing due"', () => {
    const accounts: AccountOutcome[] = [
      ok(SELF, 0),
      { accountId: MEMBER, status: 'failed', code: 'ACCOUNT_ACCESS_DENIED', action: 'AssumeRole', message: 'denied' },
    ];

    const emails = sut({ ...input, keys: [], accounts }, renderer);

    expect(emails.map((e) => [e.kind, e.to, e.accessKeyIds])).toEqual([
      ['digest', 'sec1@example.com', []],
      ['digest', 'sec2@example.com', []],
    ]);
    expect(emails[0].subject).toBe(
      'Access key digest: 1 account NOT SCANNED, 0 expired, 0 warned (0 of 12 keys in 1 account)',
    );
    expect(emails[0].text).toContain(
      `- Account: ${MEMBER}\n  Error: ACCOUNT_ACCESS_DENIED (AssumeRole)\n  Message: denied`,
    );
  });

  it('skips the unowned notice when every key has an owner', () => {
    const kinds = sut({ ...input, keys: input.keys.filter((k) => k.userName !== 'nobody') }, renderer).map(
      (e) => e.kind,
    );
    expect(kinds).toEqual(['owner', 'owner', 'digest', 'digest']);
  });
});
