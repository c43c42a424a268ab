import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IAM_CLOCK } from '@app/iam';
import { DEFAULT_ACCOUNT_ID, IamAccount, IamEmulator, type CapturedEmail } from '@app/iam-emulator';
import { RotationNotifierJob, type NotifierSummary } from '@app/notifier';
import { LadderRepository } from '@app/store';
import { NotifierAppModule } from '../apps/notifier/src/notifier-app.module';
import { describeStore, type StoreFixture } from './store/support/store-fixture';

const DAY_MS = 86_400_000;
const T0 = new Date('2026-10-01T09:00:00.000Z');
const day = (n: number, hours = 0) => new Date(T0.getTime() + n * DAY_MS + hours * 3_600_000);
const SECURITY = 'sec@example.com';

/** Boots the notifier as the CronJob does (IAM and SES on the emulator, the store of `fx`) at `now`, runs it once. */
async function runAt(emulator: IamEmulator, fx: StoreFixture, now: Date): Promise<NotifierSummary> {
  const connection = fx.connection();
  const saved = process.env;
  process.env = {
    ...saved,
    ...(connection.engine === 'pglite' ? { DATA_DIR: connection.dataDir } : { DATABASE_URL: connection.url }),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
    AWS_SECRET_ACCESS_KEY: 'emulator-secret',
    AWS_ENDPOINT_URL_IAM: emulator.url,
    AWS_ENDPOINT_URL_SESV2: emulator.url,
    AWS_ENDPOINT_URL_STS: emulator.url,
    IAM_MAX_ATTEMPTS: '1',
    NOTIFIER_SENDER: 'IAM Key Monitor <iam-keys@example.com>',
    NOTIFIER_FALLBACK_RECIPIENTS: SECURITY,
    NOTIFIER_SES_MAX_ATTEMPTS: '1',
    NOTIFIER_SES_RETRY_BASE_MS: '1',
    NOTIFIER_SES_MAX_PER_SECOND: '500',
  };
  try {
    const moduleRef = await Test.createTestingModule({ imports: [NotifierAppModule] })
      .overrideProvider(IAM_CLOCK)
      .useValue({ now: () => now })
      .compile();
    await moduleRef.init();
    try {
      return await moduleRef.get(RotationNotifierJob).run();
    } finally {
      await moduleRef.close();
    }
  } finally {
    process.env = saved;
  }
}

/** The store's ladder repository on `fx`, while no notifier holds it (the embedded store is one process at a time). */
async function withLadders<T>(fx: StoreFixture, work: (ladders: LadderRepository) => Promise<T>): Promise<T> {
  const engine = await fx.open();
  try {
    return await work(new LadderRepository(engine));
  } finally {
    await fx.close(engine);
  }
}

const to = (emails: readonly CapturedEmail[], address: string) => emails.filter((e) => e.to[0] === address);

function quiet(): void {
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
}

describeStore('notifier ladder (e2e, IAM + SES emulator): stages on a clock the test moves', (fx) => {
  jest.setTimeout(120_000);
  const OWNER = 'owner@example.com';
  const KEY = 'AKIALADDERSTAGES0001';
  let emulator: IamEmulator;

  beforeAll(async () => {
    const account = new IamAccount();
    account.addUser({
      userName: 'ladder-owner',
      createDate: day(-400),
      tags: { email: OWNER },
      accessKeys: [{ accessKeyId: KEY, createDate: T0 }],
    });
    emulator = new IamEmulator({ account });
    await emulator.start();
  });

  afterAll(async () => {
    await emulator.stop();
  });

  beforeEach(() => {
    quiet();
    emulator.clearSentEmails();
  });

  /** One run at `now`: the owner's and the security team's messages SES accepted. */
  async function run(now: Date) {
    const summary = await runAt(emulator, fx, now);
    const sent = emulator.sentEmails;
    return { summary, sent, owner: to(sent, OWNER), digest: to(sent, SECURITY) };
  }

  it('sends nothing before the warning age', async () => {
    const { sent, summary } = await run(day(14, 23));
    expect(sent).toHaveLength(0);
    expect(summary).toMatchObject({ exitCode: 0, laddersOpened: 0, emailsPlanned: 0 });
  });

  it('sends the warning once at 15 days, with the first digest', async () => {
    const { owner, digest, summary } = await run(day(15));
    expect(owner).toHaveLength(1);
    expect(owner[0].subject).toBe('Reminder: 1 AWS access key expires on 2026-10-21');
    expect(owner[0].text).toContain(`Key: ${KEY}\n  Notice: Warning`);
    expect(owner[0].text).toContain(
      'You get one email per stage: at 15 days, a final warning at 18 days, at 20 days when the key expires, then a reminder every 7 days',
    );
    expect(digest).toHaveLength(1);
    expect(digest[0].text).toContain('Changes: this is the first digest, nothing earlier to compare with');
    expect(summary).toMatchObject({
      laddersOpened: 1,
      stagesSent: { warning: 1 },
      keysByStage: { warning: 1 },
      digestSent: true,
      exitCode: 0,
    });
  });

  it('a second run the same day sends 0', async () => {
    const { sent, summary } = await run(day(15, 6));
    expect(sent).toHaveLength(0);
    expect(summary).toMatchObject({ emailsPlanned: 0, emailsSent: 0, stagesSent: {}, digestSent: false, exitCode: 0 });
  });

  it('the next day: nothing to the owner, the digest with what changed since the last one', async () => {
    const { owner, digest } = await run(day(16));
    expect(owner).toHaveLength(0);
    expect(digest).toHaveLength(1);
    expect(digest[0].text).toContain('Since the last digest (2026-10-16 09:00 UTC): 0 newly past 15 days, 0 resolved');
    expect(digest[0].text).toContain(`Key: ${KEY}`);
    expect(digest[0].text).toContain('Overdue: -');
  });

  it.each([
    [18, 'Final warning: 1 AWS access key expires on 2026-10-21', 'Final warning'],
    [20, 'Rotate now: 1 AWS access key past 20 days', 'Expired'],
    [27, 'Rotate now: 1 AWS access key past 20 days', 'Reminder 1'],
    [34, 'Rotate now: 1 AWS access key past 20 days', 'Reminder 2'],
  ])('on day %i: one email, "%s", notice %s', async (n, subject, notice) => {
    const { owner } = await run(day(n));
    expect(owner.map((e) => e.subject)).toEqual([subject]);
    expect(owner[0].text).toContain(`Notice: ${notice}`);
  });

  it('six days after reminder 2: nothing to the owner; the digest counts the days overdue', async () => {
    const { owner, digest, summary } = await run(day(40));
    expect(owner).toHaveLength(0);
    expect(digest[0].text).toContain('Overdue: 20 days');
    expect(summary.keysByStage).toEqual({ 'reminder-2': 1 });
  });

  it('recorded each stage once, with the message id SES gave, on one ladder', async () => {
    const stages = await withLadders(fx, (ladders) => ladders.stagesOf(DEFAULT_ACCOUNT_ID, KEY));
    expect(stages.map((s) => [s.stage, s.recipient, s.sentAt])).toEqual([
      ['warning', OWNER, day(15)],
      ['final', OWNER, day(18)],
      ['expired', OWNER, day(20)],
      ['reminder-1', OWNER, day(27)],
      ['reminder-2', OWNER, day(34)],
    ]);
    expect(new Set(stages.map((s) => s.ladderId)).size).toBe(1);
    expect(stages.every((s) => /^[0-9a-f-]{10,}/i.test(s.sesMessageId))).toBe(true);
  });
});

describeStore('notifier ladder (e2e, IAM + SES emulator): retries, resolutions, the digest, a restart', (fx) => {
  jest.setTimeout(120_000);
  const BOUNCER = 'bounce@example.com';
  const ROTATOR = 'rotator@example.com';
  let emulator: IamEmulator;
  let account: IamAccount;

  beforeAll(async () => {
    account = new IamAccount();
    account.addUser({
      userName: 'bouncer',
      createDate: day(-400),
      tags: { email: BOUNCER },
      accessKeys: [{ accessKeyId: 'AKIABOUNCER000000001', createDate: day(-16) }],
    });
    account.addUser({
      userName: 'rotator',
      createDate: day(-400),
      tags: { email: ROTATOR },
      accessKeys: [
        { accessKeyId: 'AKIAROTATEEXPIRED001', createDate: day(-25) },
        { accessKeyId: 'AKIAROTATEWARNING001', createDate: day(-16) },
      ],
    });
    account.addUser({
      userName: 'late-untagged',
      createDate: day(-400),
      accessKeys: [{ accessKeyId: 'AKIALATEUNTAGGED0001', createDate: day(-14.5) }],
    });
    emulator = new IamEmulator({ account, faults: { rejectRecipients: new Set([BOUNCER]) } });
    await emulator.start();
  });

  afterAll(async () => {
    await emulator.stop();
  });

  beforeEach(() => {
    quiet();
    emulator.clearSentEmails();
  });

  it('a send SES refused is not recorded; the others are, one email at the current stage for a key past several', async () => {
    const summary = await runAt(emulator, fx, day(0));

    const sent = emulator.sentEmails;
    expect(to(sent, BOUNCER)).toHaveLength(0);
    const [rotator] = to(sent, ROTATOR);
    expect(rotator.subject).toBe('Rotate now: 1 AWS access key past 20 days, 1 more expiring soon');
    // First seen already expired: one email, at its current stage; warning and final are skipped for good.
    expect(rotator.text).toContain('Key: AKIAROTATEEXPIRED001\n  Notice: Expired');
    expect(rotator.text).toContain('Key: AKIAROTATEWARNING001\n  Notice: Warning');
    expect(summary).toMatchObject({
      emailsFailed: 1,
      stagesSent: { expired: 1, warning: 1 },
      stagesPending: 1,
      exitCode: 1,
    });
    await expect(withLadders(fx, (l) => l.stagesOf(DEFAULT_ACCOUNT_ID, 'AKIABOUNCER000000001'))).resolves.toEqual([]);
  });

  it('retries it on the next run and records it once; closes a rotated key and lists the changes in the digest', async () => {
    emulator.faults.rejectRecipients.clear();
    const rotated = account.rotateAccessKey('AKIAROTATEEXPIRED001', { createDate: day(0, 12) });

    const summary = await runAt(emulator, fx, day(1));

    const sent = emulator.sentEmails;
    expect(to(sent, BOUNCER).map((e) => e.subject)).toEqual(['Reminder: 1 AWS access key expires on 2026-10-05']);
    // The rotator has nothing due: the resolution waits for their next email.
    expect(to(sent, ROTATOR)).toHaveLength(0);
    const digests = to(sent, SECURITY).filter((e) => e.subject?.startsWith('Access key digest'));
    expect(digests).toHaveLength(1);
    const text = digests[0].text ?? '';
    expect(text).toContain('Since the last digest (2026-10-01 09:00 UTC): 1 newly past 15 days, 1 resolved');
    expect(text).toContain('Newly past 15 days: 1 AWS access key');
    expect(text).toContain('Key: AKIALATEUNTAGGED0001\n  First seen past it: 2026-10-02 09:00 UTC');
    expect(text).toContain(
      `Resolved since the last digest: 1 AWS access key\n- Account: ${DEFAULT_ACCOUNT_ID}\n  User: rotator\n  Key: AKIAROTATEEXPIRED001\n  Resolved: Rotated (new key ${rotated.accessKeyId})`,
    );
    // From its email (day 0) to the run that found it rotated (day 1): runs are daily, so is the precision.
    expect(text).toContain('Median time from warning to rotation: 1.0 days over the last 30 days (1 key);');
    expect(summary).toMatchObject({
      laddersClosed: 1,
      stagesSent: { warning: 2 },
      medianRotationDays30: 1,
      exitCode: 0,
    });
    const bouncer = await withLadders(fx, (l) => l.stagesOf(DEFAULT_ACCOUNT_ID, 'AKIABOUNCER000000001'));
    expect(bouncer.map((s) => [s.stage, s.sentAt])).toEqual([['warning', day(1)]]);
  });

  it("says in the owner's next email what was resolved, once; a deactivated key closes its ladder", async () => {
    account.setAccessKeyStatus('AKIABOUNCER000000001', 'Inactive');

    const summary = await runAt(emulator, fx, day(2));
    const [rotator] = to(emulator.sentEmails, ROTATOR);
    expect(rotator.subject).toBe('Final warning: 1 AWS access key expires on 2026-10-05');
    expect(rotator.text).toContain(
      'Resolved since our last email: 1 AWS access key\n- Account: ' +
        `${DEFAULT_ACCOUNT_ID}\n  User: rotator\n  Key: AKIAROTATEEXPIRED001\n  Resolved: Rotated`,
    );
    expect(to(emulator.sentEmails, BOUNCER)).toHaveLength(0);
    expect(summary).toMatchObject({ laddersClosed: 1 });
    const ladders = await withLadders(fx, (l) => l.laddersOf(DEFAULT_ACCOUNT_ID, 'AKIABOUNCER000000001'));
    expect(ladders.map((l) => l.resolution)).toEqual(['deactivated']);

    emulator.clearSentEmails();
    await runAt(emulator, fx, day(4));
    const [expired] = to(emulator.sentEmails, ROTATOR);
    expect(expired.text).toContain('Notice: Expired');
    expect(expired.text).not.toContain('Resolved since our last email');
  });

  it('a key reactivated after remediation restarts its ladder at final (LadderRepository.restartAt)', async () => {
    account.setAccessKeyStatus('AKIABOUNCER000000001', 'Active');
    await withLadders(fx, (l) => l.restartAt(DEFAULT_ACCOUNT_ID, 'AKIABOUNCER000000001', 'final', day(5)));

    await runAt(emulator, fx, day(5));
    const [finalWarning] = to(emulator.sentEmails, BOUNCER);
    expect(finalWarning.text).toContain('Key: AKIABOUNCER000000001\n  Notice: Final warning');

    emulator.clearSentEmails();
    await runAt(emulator, fx, day(6));
    expect(to(emulator.sentEmails, BOUNCER)).toHaveLength(0);
    await runAt(emulator, fx, day(7));
    expect(to(emulator.sentEmails, BOUNCER).map((e) => e.text?.includes('Notice: Expired'))).toEqual([true]);

    const ladders = await withLadders(fx, (l) => l.laddersOf(DEFAULT_ACCOUNT_ID, 'AKIABOUNCER000000001'));
    expect(ladders.map((l) => [l.startStage, l.resolution])).toEqual([
      ['warning', 'deactivated'],
      ['final', null],
    ]);
  });
});
