import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FINDINGS_CLOCK } from '@app/findings';
import { IAM_CLOCK } from '@app/iam';
import { IamAccount, IamEmulator } from '@app/iam-emulator';
import { RotationNotifierJob, type NotifierSummary } from '@app/notifier';
import { NotifierAppModule } from '../apps/notifier/src/notifier-app.module';
import { StoreFixture } from './store/support/store-fixture';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const now = new Date('2026-11-23T12:00:00.000Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
const SECURITY = 'sec@example.com';

function buildAccount(): IamAccount {
  const account = new IamAccount();
  const user = (userName: string, accessKeyId: string, tags: Record<string, string> = {}) =>
    account.addUser({
      userName,
      createDate: ago(400),
      tags: { email: `${userName}@example.com`, ...tags },
      accessKeys: [{ accessKeyId, createDate: ago(25) }],
    });
  user('vendor', 'AKIAVENDOR0000000001');
  user('lapsed', 'AKIALAPSED0000000001');
  user('tagged', 'AKIATAGGED0000000001', {
    'iam-key-monitor:exempt-until': '2026-12-20',
    'iam-key-monitor:exempt-reason': 'Managed in Terraform, rotating with the next release',
  });
  user('unusedonly', 'AKIAUNUSEDONLY000001');
  user('plain', 'AKIAPLAIN00000000001');
  return account;
}

describe('notifier with exemptions (e2e, IAM + SES emulator)', () => {
  // Each run opens and migrates an embedded store (PGlite): seconds on a busy machine.
  jest.setTimeout(60_000);

  const dir = mkdtempSync(path.join(tmpdir(), 'notifier-exemptions-'));
  const file = path.join(dir, 'exemptions.yaml');
  let emulator: IamEmulator;
  let saved: NodeJS.ProcessEnv;
  let summary: NotifierSummary;
  const store = new StoreFixture('pglite');

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    writeFileSync(
      file,
      [
        'exemptions:',
        '  - match: { user_name: vendor }',
        '    findings: [old]',
        '    reason: Vendor appliance, replacement ordered',
        `    expires_at: ${new Date(now.getTime() + 5 * DAY_MS).toISOString()}`,
        '    ticket: SEC-7',
        '    approved_by: security-team',
        '  - match: { user_name: lapsed }',
        '    reason: Was waiting for a migration',
        `    expires_at: ${new Date(now.getTime() - 2 * HOUR_MS).toISOString()}`,
        '  - match: { user_name: unusedonly }',
        '    findings: [unused]',
        '    reason: Covers unused, not age',
        `    expires_at: ${new Date(now.getTime() + 60 * DAY_MS).toISOString()}`,
        '',
      ].join('\n'),
    );
    saved = { ...process.env };
    emulator = new IamEmulator({ account: buildAccount() });
    await emulator.start();
    await store.setup();
    process.env = {
      ...saved,
      DATA_DIR: store.dir,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret',
      AWS_ENDPOINT_URL_IAM: emulator.url,
      AWS_ENDPOINT_URL_SESV2: emulator.url,
      AWS_ENDPOINT_URL_STS: emulator.url,
      NOTIFIER_SENDER: 'IAM Key Monitor <iam-keys@example.com>',
      NOTIFIER_FALLBACK_RECIPIENTS: SECURITY,
      NOTIFIER_SES_MAX_PER_SECOND: '500',
      EXEMPTIONS_FILE: file,
    };
    const moduleRef = await Test.createTestingModule({ imports: [NotifierAppModule] })
      .overrideProvider(IAM_CLOCK)
      .useValue({ now: () => now })
      .overrideProvider(FINDINGS_CLOCK)
      .useValue(() => now)
      .compile();
    await moduleRef.init();
    try {
      summary = await moduleRef.get(RotationNotifierJob).run();
    } finally {
      await moduleRef.close();
    }
  });

  afterAll(async () => {
    process.env = saved;
    await emulator.stop();
    await store.teardown();
    rmSync(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  it('mails no owner whose key an exemption covering old applies to (file or tags); the others as before', () => {
    const owners = emulator.sentEmails.map((e) => e.to[0]).filter((to) => to !== SECURITY);
    expect(owners.sort()).toEqual(['lapsed@example.com', 'plain@example.com', 'unusedonly@example.com']);
    expect(summary).toMatchObject({ expired: 5, exempted: 2, exemptionsLapsed: 1, exitCode: 0 });
  });

  it('lists in the digest the lapsed exemption, those expiring within 14 days, those expired since yesterday, and the exempted keys', () => {
    const digest = emulator.sentEmails.find((e) => e.to[0] === SECURITY && /digest/i.test(e.subject ?? ''));
    const text = digest?.text ?? '';
    expect(text).toContain('Exemption lapsed: 1 AWS access key past their age, owners reminded again');
    expect(text).toMatch(/Exemption lapsed[\s\S]*Key: AKIALAPSED0000000001/);
    expect(text).toContain('Exemptions expiring within 14 days: 1');
    expect(text).toContain('Ticket: SEC-7');
    expect(text).toContain("Exemptions expired since yesterday's digest: 1");
    expect(text).toContain('Reason: Was waiting for a migration');
    expect(text).toContain('Exempted: 2 AWS access keys (no owner reminder)');
    expect(text).toContain(
      'Exempted until: 2026-12-20 00:00 UTC: Managed in Terraform, rotating with the next release',
    );
  });
});
