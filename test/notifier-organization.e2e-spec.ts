import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { isEmail } from 'class-validator';
import { IAM_CLOCK } from '@app/iam';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  IamEmulator,
  seededMemberAccountId,
  seedOrganization,
  type CapturedEmail,
  type EmulatedOrganization,
  type IamAccount,
} from '@app/iam-emulator';
import { RotationNotifierJob, type NotifierSummary } from '@app/notifier';
import { NotifierAppModule } from '../apps/notifier/src/notifier-app.module';
import { StoreFixture } from './store/support/store-fixture';

const DAY_MS = 86_400_000;
const now = new Date('2026-11-23T12:00:00.000Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
const SECURITY = ['sec-a@example.com', 'sec-b@example.com'];
const MANAGEMENT = '111111111111';
const MEMBER = seededMemberAccountId(1);
const DENIED = seededMemberAccountId(2);
const SUSPENDED = seededMemberAccountId(3);
const SCANNED = [MANAGEMENT, MEMBER];

interface ExpectedKey {
  accountId: string;
  userName: string;
  accessKeyId: string;
  owner?: string;
}

/** The organization's keys past the warning age in the accounts the notifier can reach, from the model alone. */
function expectedKeys(org: EmulatedOrganization): ExpectedKey[] {
  const keys: ExpectedKey[] = [];
  for (const { id, account } of org.accounts.filter((a) => SCANNED.includes(a.id))) {
    for (const user of account.listUsers()) {
      const tag = user.tags.email?.trim();
      const owner = tag && isEmail(tag) ? tag.toLowerCase() : undefined;
      for (const key of user.accessKeys) {
        if (key.status === 'Active' && now.getTime() - key.createDate.getTime() >= 15 * DAY_MS) {
          keys.push({ accountId: id, userName: user.userName, accessKeyId: key.accessKeyId, owner });
        }
      }
    }
  }
  return keys;
}

const keyIdsIn = (body: string | undefined) => [...(body ?? '').matchAll(/AKIA[A-Z0-9]{16}/g)].map((m) => m[0]);
const accountOf = (org: EmulatedOrganization, id: string): IamAccount => org.accounts.find((a) => a.id === id)!.account;

describe('Rotation notifier across an organization (e2e, Organizations + STS + IAM + SES emulator)', () => {
  // Each run opens and migrates an embedded store (PGlite): seconds on a busy machine.
  jest.setTimeout(60_000);

  let emulator: IamEmulator;
  let org: EmulatedOrganization;
  let saved: NodeJS.ProcessEnv;
  let errors: unknown[];

  /** One run on a store of its own, so each test starts with no ladder. */
  async function runOnce(): Promise<NotifierSummary> {
    const store = new StoreFixture('pglite');
    await store.setup();
    process.env = {
      ...saved,
      DATA_DIR: store.dir,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret',
      AWS_ENDPOINT_URL: emulator.url,
      ACCOUNTS_SOURCE: 'organizations',
      ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
      IAM_MAX_ATTEMPTS: '1',
      NOTIFIER_SENDER: 'IAM Key Monitor <iam-keys@example.com>',
      NOTIFIER_FALLBACK_RECIPIENTS: SECURITY.join(','),
      NOTIFIER_SES_MAX_ATTEMPTS: '1',
      NOTIFIER_SES_RETRY_BASE_MS: '1',
      NOTIFIER_SES_MAX_PER_SECOND: '500',
    };
    const moduleRef: TestingModule = await Test.createTestingModule({ imports: [NotifierAppModule] })
      .overrideProvider(IAM_CLOCK)
      .useValue({ now: () => now })
      .compile();
    await moduleRef.init();
    try {
      return await moduleRef.get(RotationNotifierJob).run();
    } finally {
      await moduleRef.close();
      await store.teardown();
    }
  }

  beforeAll(async () => {
    saved = { ...process.env };
    org = seedOrganization({ seed: 13, accounts: 4, usersPerAccount: 40, suspended: 1, now });
    // One owner with keys in two accounts, and one user name in both accounts owned by different people.
    accountOf(org, MANAGEMENT).addUser({
      userName: 'deploy-bot',
      createDate: ago(400),
      tags: { email: 'Owner.One@Example.com' },
      accessKeys: [{ accessKeyId: 'AKIAMGMTDEPLOYBOT001', createDate: ago(25) }],
    });
    accountOf(org, MEMBER).addUser({
      userName: 'deploy-bot',
      createDate: ago(400),
      tags: { email: 'owner.one@example.com' },
      accessKeys: [{ accessKeyId: 'AKIAMEMBERDEPLOYB001', createDate: ago(16) }],
    });
    accountOf(org, MANAGEMENT).addUser({
      userName: 'zz-shared-name',
      createDate: ago(400),
      tags: { email: 'mgmt-owner@example.com' },
      accessKeys: [{ accessKeyId: 'AKIAMGMTSHAREDNAME01', createDate: ago(30) }],
    });
    accountOf(org, MEMBER).addUser({
      userName: 'zz-shared-name',
      createDate: ago(400),
      tags: { email: 'member-owner@example.com' },
      accessKeys: [{ accessKeyId: 'AKIAMEMBERSHAREDNM01', createDate: ago(30) }],
    });
    // The account AssumeRole will refuse has an old key nobody must hear about from this run.
    accountOf(org, DENIED).addUser({
      userName: 'never-seen',
      createDate: ago(400),
      tags: { email: 'owner.one@example.com' },
      accessKeys: [{ accessKeyId: 'AKIADENIEDACCOUNT001', createDate: ago(40) }],
    });
    emulator = new IamEmulator({ organization: org, faults: { assumeRoleDenied: new Set([DENIED]) } });
    await emulator.start(0, '127.0.0.1');
  });

  afterAll(async () => {
    process.env = saved;
    await emulator.stop();
  });

  beforeEach(() => {
    errors = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation((m: unknown) => void errors.push(m));
    emulator.clearSentEmails();
    emulator.resetCounters();
  });

  it('mails each owner once for their keys in every account, lists the denied and suspended accounts and exits 1', async () => {
    const expected = expectedKeys(org);
    const owners = new Map<string, ExpectedKey[]>();
    for (const k of expected.filter((e) => e.owner)) {
      owners.set(k.owner!, [...(owners.get(k.owner!) ?? []), k]);
    }
    const unowned = expected.filter((k) => !k.owner);
    // The seeded accounts share user names (svc-0001, ...), so some owners do span both accounts.
    const spanning = [...owners.values()].filter((keys) => new Set(keys.map((k) => k.accountId)).size > 1);
    expect(spanning.length).toBeGreaterThanOrEqual(1);

    const summary = await runOnce();

    const sent = emulator.sentEmails;
    expect(sent.flatMap((e) => e.to).sort()).toEqual([...owners.keys(), ...SECURITY, ...SECURITY].sort());
    for (const [owner, keys] of owners) {
      const messages = sent.filter((e) => e.to[0] === owner);
      expect(messages).toHaveLength(1);
      expect(new Set(keyIdsIn(messages[0].text))).toEqual(new Set(keys.map((k) => k.accessKeyId)));
      // Every key names its account and the account's own sign-in page.
      for (const k of keys) {
        expect(messages[0].text).toContain(
          `sign in to account ${k.accountId} at https://${k.accountId}.signin.aws.amazon.com/console`,
        );
      }
    }
    const ownerOne = sent.find((e) => e.to[0] === 'owner.one@example.com') as CapturedEmail;
    expect(keyIdsIn(ownerOne.text)).toEqual(expect.arrayContaining(['AKIAMGMTDEPLOYBOT001', 'AKIAMEMBERDEPLOYB001']));
    expect(ownerOne.text).toContain(
      `- Account: ${MANAGEMENT} (management)\n  User: deploy-bot\n  Key: AKIAMGMTDEPLOYBOT001`,
    );
    expect(ownerOne.text).toContain(
      `- Account: ${MEMBER} (member-001)\n  User: deploy-bot\n  Key: AKIAMEMBERDEPLOYB001`,
    );
    // The same user name in two accounts: each key went to the owner tagged in its own account.
    expect(keyIdsIn(sent.find((e) => e.to[0] === 'mgmt-owner@example.com')?.text)).toEqual(['AKIAMGMTSHAREDNAME01']);
    expect(keyIdsIn(sent.find((e) => e.to[0] === 'member-owner@example.com')?.text)).toEqual(['AKIAMEMBERSHAREDNM01']);
    // Nothing of the account that could not be scanned reached anyone as a key.
    expect(sent.some((e) => e.text?.includes('AKIADENIEDACCOUNT001'))).toBe(false);

    const fallback = sent.filter((e) => /^Unowned:/.test(e.subject ?? ''));
    expect(fallback.map((e) => e.to[0]).sort()).toEqual(SECURITY);
    expect(new Set(keyIdsIn(fallback[0].text))).toEqual(new Set(unowned.map((k) => k.accessKeyId)));

    const digest = sent.filter((e) => /^Access key digest:/.test(e.subject ?? ''));
    expect(digest.map((e) => e.to[0]).sort()).toEqual(SECURITY);
    expect(digest[0].subject).toMatch(
      /^Access key digest: 1 account NOT SCANNED, \d+ expired, \d+ warned \(\d+ of \d+ keys in 2 accounts\)$/,
    );
    const text = digest[0].text ?? '';
    expect(text).toContain('Not scanned: 1 account (their keys were NOT checked)');
    expect(text).toMatch(
      new RegExp(
        `- Account: ${DENIED} \\(member-002\\)\\n  Error: ACCOUNT_ACCESS_DENIED \\(AssumeRole\\)\\n  Message: .+`,
      ),
    );
    expect(text).toContain(`- Account: ${SUSPENDED} (member-003)\n  Reason: SUSPENDED`);
    const groups = [...text.matchAll(/^Account (\d{12}) \(([^)]+)\): (\d+) AWS access keys?$/gm)].map((m) => [
      m[1],
      m[2],
      Number(m[3]),
    ]);
    expect(groups.map(([id]) => id).sort()).toEqual(SCANNED);
    for (const [id, , count] of groups) {
      expect(count).toBe(expected.filter((k) => k.accountId === id).length);
    }
    expect(new Set(keyIdsIn(text))).toEqual(new Set(expected.map((k) => k.accessKeyId)));

    // Owner tags were read in each key's own account, once per user with a key due; none in the others.
    for (const id of SCANNED) {
      const users = new Set(expected.filter((k) => k.accountId === id).map((k) => k.userName));
      expect(emulator.countersFor(id).requests.ListUserTags).toBe(users.size);
    }
    expect(emulator.countersFor(DENIED).requests.ListUserTags).toBeUndefined();
    expect(emulator.countersFor(DENIED).requests.AssumeRole).toBeGreaterThanOrEqual(1);
    expect(emulator.countersFor(SUSPENDED).requests.AssumeRole).toBeUndefined();

    expect(summary).toMatchObject({
      accountsOk: 2,
      accountsFailed: 1,
      accountsSkipped: 1,
      failedAccounts: [DENIED],
      warned: expect.any(Number) as number,
      emailsPlanned: owners.size + 4,
      emailsSent: owners.size + 4,
      emailsFailed: 0,
      exitCode: 1,
    });
    expect(summary.warned + summary.expired).toBe(expected.length);
    expect(errors).toContainEqual(
      expect.objectContaining({
        event: 'notifier.account-failed',
        accountId: DENIED,
        code: 'ACCOUNT_ACCESS_DENIED',
        action: 'AssumeRole',
      }),
    );
  }, 60_000);

  it("exits 0 once the role may be assumed again, and the digest shows that account's keys", async () => {
    emulator.assumeRoleDenied.delete(DENIED);
    try {
      const summary = await runOnce();

      expect(summary).toMatchObject({ accountsOk: 3, accountsFailed: 0, accountsSkipped: 1, exitCode: 0 });
      expect(summary.failedAccounts).toBeUndefined();
      const digest = emulator.sentEmails.find((e) => /^Access key digest:/.test(e.subject ?? ''));
      expect(digest?.subject).not.toContain('NOT SCANNED');
      expect(keyIdsIn(digest?.text)).toContain('AKIADENIEDACCOUNT001');
      const ownerOne = emulator.sentEmails.filter((e) => e.to[0] === 'owner.one@example.com');
      expect(ownerOne).toHaveLength(1);
      expect(keyIdsIn(ownerOne[0].text)).toEqual(
        expect.arrayContaining(['AKIAMGMTDEPLOYBOT001', 'AKIAMEMBERDEPLOYB001', 'AKIADENIEDACCOUNT001']),
      );
    } finally {
      emulator.assumeRoleDenied.add(DENIED);
    }
  }, 60_000);
});
