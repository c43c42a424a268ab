import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { isEmail } from 'class-validator';
import { IAM_CLOCK } from '@app/iam';
import { DEFAULT_ACCOUNT_ID, IamEmulator, seedAccount, type CapturedEmail, type IamAccount } from '@app/iam-emulator';
import { dryRunBaseName, RotationNotifierJob, type NotifierSummary } from '@app/notifier';
import { NotifierAppModule } from '../apps/notifier/src/notifier-app.module';
import { StoreFixture } from './store/support/store-fixture';

const DAY_MS = 86_400_000;
const now = new Date('2026-11-23T12:00:00.000Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
const SECURITY = ['sec-a@example.com', 'sec-b@example.com'];
const HOSTILE = 'deploy+ci=prod,eu.bot@team_x-1';

/** The seeded account plus a few hand-made users whose outcome the test states outright. */
function buildAccount(): IamAccount {
  const account = seedAccount({ seed: 42, users: 300, now });
  account.addUser({
    userName: HOSTILE,
    createDate: ago(400),
    tags: { email: 'Owner.One@Example.com' },
    accessKeys: [
      { accessKeyId: 'AKIAHOSTILEEXPIRED01', createDate: ago(25) },
      { accessKeyId: 'AKIAHOSTILEWARNING01', createDate: ago(16) },
    ],
  });
  account.addUser({
    userName: 'zz-shares-owner',
    createDate: ago(400),
    tags: { email: 'owner.one@example.com' },
    accessKeys: [
      { accessKeyId: 'AKIASHAREDOWNER00001', createDate: ago(15) },
      { accessKeyId: 'AKIAINACTIVEOLD00001', createDate: ago(90), status: 'Inactive' },
    ],
  });
  account.addUser({
    userName: 'zz-young-keys',
    createDate: ago(400),
    tags: { email: 'young@example.com' },
    accessKeys: [{ accessKeyId: 'AKIAYOUNGKEY00000001', createDate: ago(14.99) }],
  });
  account.addUser({
    userName: 'zz-bounces',
    createDate: ago(400),
    tags: { email: 'bounce@example.com' },
    accessKeys: [{ accessKeyId: 'AKIABOUNCES000000001', createDate: ago(30) }],
  });
  account.addUser({
    userName: 'zz-bad-tag',
    createDate: ago(400),
    tags: { email: 'not an address' },
    accessKeys: [{ accessKeyId: 'AKIABADTAG0000000001', createDate: ago(21) }],
  });
  account.addUser({
    userName: 'zz-no-tag',
    createDate: ago(400),
    tags: { team: 'data' },
    accessKeys: [{ accessKeyId: 'AKIANOTAG00000000001', createDate: ago(19) }],
  });
  return account;
}

interface ExpectedKey {
  userName: string;
  accessKeyId: string;
  createdMs: number;
  owner?: string;
}

/** An oracle written from the account model, independent of the notifier's code paths. */
function expectedKeys(account: IamAccount): ExpectedKey[] {
  const keys: ExpectedKey[] = [];
  for (const user of account.listUsers()) {
    const tag = user.tags.email?.trim();
    const owner = tag && isEmail(tag) ? tag.toLowerCase() : undefined;
    for (const key of user.accessKeys) {
      if (key.status === 'Active' && now.getTime() - key.createDate.getTime() >= 15 * DAY_MS) {
        keys.push({
          userName: user.userName,
          accessKeyId: key.accessKeyId,
          createdMs: key.createDate.getTime(),
          owner,
        });
      }
    }
  }
  return keys.sort(
    (a, b) =>
      a.createdMs - b.createdMs || (a.userName < b.userName ? -1 : 1) || (a.accessKeyId < b.accessKeyId ? -1 : 1),
  );
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  }
  return map;
}

const keyIdsIn = (body: string | undefined) => [...(body ?? '').matchAll(/AKIA[A-Z0-9]{16}/g)].map((m) => m[0]);

describe('Rotation notifier (e2e, IAM + SES emulator)', () => {
  // Each run opens and migrates an embedded store (PGlite): seconds on a busy machine.
  jest.setTimeout(60_000);

  let emulator: IamEmulator;
  let account: IamAccount;
  let saved: NodeJS.ProcessEnv;
  let dryRunDir: string;

  /** One run on a store of its own: each test starts with no ladder (the ladder's own tests share one). */
  async function runOnce(extraEnv: Record<string, string> = {}): Promise<NotifierSummary> {
    const store = new StoreFixture('pglite');
    await store.setup();
    process.env = {
      DATA_DIR: store.dir,
      ...saved,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret',
      AWS_ENDPOINT_URL_IAM: emulator.url,
      AWS_ENDPOINT_URL_SESV2: emulator.url,
      // Self mode still asks STS which account it is in: the account every key is shown with.
      AWS_ENDPOINT_URL_STS: emulator.url,
      IAM_MAX_ATTEMPTS: '1',
      NOTIFIER_SENDER: 'IAM Key Monitor <iam-keys@example.com>',
      NOTIFIER_FALLBACK_RECIPIENTS: SECURITY.join(','),
      NOTIFIER_SES_MAX_ATTEMPTS: '1',
      NOTIFIER_SES_RETRY_BASE_MS: '1',
      NOTIFIER_SES_MAX_PER_SECOND: '500',
      ...extraEnv,
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
    account = buildAccount();
    emulator = new IamEmulator({ account, faults: { rejectRecipients: new Set(['bounce@example.com']) } });
    await emulator.start();
  });

  afterAll(async () => {
    process.env = saved;
    await emulator.stop();
  });

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    emulator.clearSentEmails();
    emulator.resetCounters();
    dryRunDir = await mkdtemp(join(tmpdir(), 'notifier-e2e-'));
  });

  afterEach(async () => {
    await rm(dryRunDir, { recursive: true, force: true });
  });

  it('mails each owner their keys, the security team the unowned keys and the digest, and counts the rejected recipient', async () => {
    emulator.faults.throttleSendEmail = 2;
    const expected = expectedKeys(account);
    const byOwner = groupBy(
      expected.filter((k) => k.owner),
      (k) => k.owner!,
    );
    const unowned = expected.filter((k) => !k.owner);
    expect(byOwner.size).toBeGreaterThan(10);
    expect(unowned.length).toBeGreaterThan(5);

    const summary = await runOnce();

    const sent = emulator.sentEmails;
    const byKind = (subject: RegExp) => sent.filter((e) => subject.test(e.subject ?? ''));
    // Exact recipients: every owner once, except the rejected one; each security address gets two messages.
    const expectedRecipients = [...byOwner.keys()].filter((a) => a !== 'bounce@example.com').concat(SECURITY, SECURITY);
    expect(sent.flatMap((e) => e.to).sort()).toEqual(expectedRecipients.sort());
    expect(sent.every((e) => e.from === 'IAM Key Monitor <iam-keys@example.com>' && e.to.length === 1)).toBe(true);

    // Each owner message holds exactly that owner's keys, in both parts.
    for (const [owner, keys] of byOwner) {
      if (owner === 'bounce@example.com') {
        continue;
      }
      const [message] = sent.filter((e) => e.to[0] === owner);
      expect(new Set(keyIdsIn(message.html))).toEqual(new Set(keys.map((k) => k.accessKeyId)));
      expect(new Set(keyIdsIn(message.text))).toEqual(new Set(keys.map((k) => k.accessKeyId)));
    }
    const ownerOne = sent.find((e) => e.to[0] === 'owner.one@example.com') as CapturedEmail;
    expect(ownerOne.subject).toBe('Rotate now: 1 AWS access key past 20 days, 2 more expiring soon');
    expect(ownerOne.html).toContain(
      'https://console.aws.amazon.com/iam/home#/users/details/deploy%2Bci%3Dprod%2Ceu.bot%40team_x-1?section=security_credentials',
    );
    expect(ownerOne.html).toContain(`>${HOSTILE}<`);
    // Self mode: every key names the service's own account and links to its sign-in page.
    expect(ownerOne.text).toContain(`- Account: ${DEFAULT_ACCOUNT_ID}\n  User: ${HOSTILE}`);
    expect(ownerOne.html).toContain(`https://${DEFAULT_ACCOUNT_ID}.signin.aws.amazon.com/console`);
    expect(ownerOne.text).toContain('Expires: 2026-11-28 12:00 UTC');
    expect(ownerOne.html).not.toContain('AKIAINACTIVEOLD00001');
    expect(sent.some((e) => e.to[0] === 'young@example.com')).toBe(false);

    // The security team: unowned keys (missing or invalid tags), and the digest of every key, oldest first.
    const fallback = byKind(/^Unowned:/);
    expect(fallback.map((e) => e.to[0]).sort()).toEqual(SECURITY);
    expect(keyIdsIn(fallback[0].text)).toEqual(unowned.map((k) => k.accessKeyId));
    expect(fallback[0].html).toContain('invalid address &quot;not an address&quot;');
    const digest = byKind(/^Access key digest:/);
    expect(digest.map((e) => e.to[0]).sort()).toEqual(SECURITY);
    const expired = expected.filter((k) => now.getTime() - k.createdMs >= 20 * DAY_MS).length;
    expect(digest[0].subject).toBe(
      `Access key digest: ${expired} expired, ${expected.length - expired} warned (${expected.length} of ${summary.keysSeen} keys)`,
    );
    expect(keyIdsIn(digest[0].text)).toEqual(expected.map((k) => k.accessKeyId));

    // Throttled sends were retried; the rejected recipient is counted and fails the run.
    expect(emulator.counters.throttled.SendEmail).toBe(2);
    expect(emulator.counters.errors.MessageRejected).toBe(1);
    expect(summary).toMatchObject({
      driver: 'ses',
      accountsOk: 1,
      accountsFailed: 0,
      accountsSkipped: 0,
      warned: expected.length - expired,
      expired,
      emailsPlanned: byOwner.size + 4,
      emailsSent: byOwner.size + 3,
      emailsFailed: 1,
      emailsSkipped: 0,
      exitCode: 1,
    });
    expect(summary.invalidOwners).toBeGreaterThanOrEqual(1);
  });

  it('exits 0 when every email went out', async () => {
    emulator.faults.rejectRecipients.clear();
    try {
      const summary = await runOnce();
      expect(summary).toMatchObject({ emailsFailed: 0, exitCode: 0 });
      expect(emulator.sentEmails).toHaveLength(summary.emailsPlanned);
    } finally {
      emulator.faults.rejectRecipients.add('bounce@example.com');
    }
  });

  it('in dry-run mode writes every message to the folder and sends nothing', async () => {
    const summary = await runOnce({ NOTIFIER_DRY_RUN_DIR: dryRunDir });

    expect(emulator.counters.requests.SendEmail).toBeUndefined();
    expect(emulator.sentEmails).toHaveLength(0);
    const expected = expectedKeys(account);
    const owners = new Set(expected.flatMap((k) => (k.owner ? [k.owner] : [])));
    const names = [
      ...[...owners].map((to) => dryRunBaseName({ kind: 'owner', to })),
      ...SECURITY.flatMap((to) => [dryRunBaseName({ kind: 'fallback', to }), dryRunBaseName({ kind: 'digest', to })]),
    ];
    expect((await readdir(dryRunDir)).sort()).toEqual(names.flatMap((n) => [`${n}.eml`, `${n}.html`]).sort());
    const eml = await readFile(
      join(dryRunDir, `${dryRunBaseName({ kind: 'owner', to: 'bounce@example.com' })}.eml`),
      'utf8',
    );
    expect(eml).toContain('To: bounce@example.com\r\n');
    expect(summary).toMatchObject({
      driver: 'dry-run',
      emailsSent: 0,
      emailsFailed: 0,
      emailsSkipped: names.length,
      exitCode: 0,
    });
  });

  it('exits 2 and sends nothing when IAM refuses the scan', async () => {
    emulator.faults.accessDenied.add('ListUsers');
    try {
      const summary = await runOnce();
      expect(summary).toMatchObject({ exitCode: 2, emailsPlanned: 0 });
      expect(summary.error).toMatch(/IAM denied ListUsers/);
      expect(emulator.sentEmails).toHaveLength(0);
    } finally {
      emulator.faults.accessDenied.delete('ListUsers');
    }
  });
});
