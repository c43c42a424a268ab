/**
 * Renders a sample owner reminder and a sample digest of an organization (fixed clock, sample keys in three
 * accounts, one account not scanned) and screenshots them with headless Chromium into docs/notifier/, so the
 * docs show what owners and the security team receive.
 *   node -r @swc-node/register scripts/render-email-example.ts [out-dir]
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { AccountAccessKey, AccountOutcome } from '@app/iam';
import { classifyKeys, EmailRenderer, ownerKey, type OwnerResolution } from '@app/notifier';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DAY_MS = 86_400_000;
const now = new Date('2026-11-23T12:00:00.000Z');
const created = (days: number, hours = 0) => new Date(now.getTime() - days * DAY_MS - hours * 3_600_000);
const MANAGEMENT = { accountId: '111111111111', accountName: 'management' };
const PROD = { accountId: '200000000001', accountName: 'prod' };
const SANDBOX = { accountId: '200000000002', accountName: 'sandbox' };
const OWNER = 'alice.smith@example.com';

const key = (
  account: { accountId: string; accountName: string },
  userName: string,
  accessKeyId: string,
  createdDate: Date,
  status: 'Active' | 'Inactive' = 'Active',
): AccountAccessKey => ({ ...account, userName, accessKeyId, createdDate, status, ageHours: 0 });

async function main(): Promise<void> {
  const outDir = resolve(process.argv[2] ?? 'docs/notifier');
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}; install it or set CHROMIUM_PATH`);
  }
  const policy = { warnAgeDays: 15, expireAgeDays: 20 };
  const keys = classifyKeys(
    [
      key(PROD, 'deploy+ci=prod,eu.bot@team_x-1', 'AKIAIOSFODNN7EXAMPLE', created(27, 5)),
      key(PROD, 'ci-runner', 'AKIAJ5Q2EXAMPLEKEY09', created(22, 3)),
      key(MANAGEMENT, 'alice.smith', 'AKIAI44QH8DHBEXAMPLE', created(17, 2)),
      key(MANAGEMENT, 'alice.smith', 'AKIAJ7Q2EXAMPLEKEY02', created(15, 1), 'Inactive'),
    ],
    now,
    policy,
  );
  const owners = new Map<string, OwnerResolution>([
    [ownerKey({ ...PROD, userName: 'deploy+ci=prod,eu.bot@team_x-1' }), { kind: 'owner', address: OWNER }],
    [ownerKey({ ...PROD, userName: 'ci-runner' }), { kind: 'fallback', reason: 'missing-tag' }],
    [ownerKey({ ...MANAGEMENT, userName: 'alice.smith' }), { kind: 'owner', address: OWNER }],
  ]);
  const stats = (usersSeen: number) => ({
    usersSeen,
    usersSkippedYoung: 0,
    usersVanished: 0,
    callsByAction: {},
    throttles: 0,
    retries: 0,
    peakInFlight: 1,
    durationMs: 1,
  });
  const accounts: AccountOutcome[] = [
    { ...MANAGEMENT, status: 'ok', dataReadAt: now, keyCount: 31, stats: stats(40) },
    { ...PROD, status: 'ok', dataReadAt: now, keyCount: 57, stats: stats(75) },
    {
      ...SANDBOX,
      status: 'failed',
      code: 'ACCOUNT_ACCESS_DENIED',
      action: 'AssumeRole',
      message: 'AssumeRole into account 200000000002 was denied (AccessDenied)',
    },
    { accountId: '200000000003', accountName: 'closed-project', status: 'skipped', reason: 'SUSPENDED' },
  ];
  const renderer = new EmailRenderer({ now, policy, partition: 'aws', accountLabel: 'example-org' });
  const messages = {
    'email-example': renderer.owner(keys.filter((k) => owners.get(ownerKey(k))?.kind === 'owner')),
    'digest-example': renderer.digest({ keys, owners, keysSeen: 88, usersSeen: 115, accounts }),
  };

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  try {
    for (const [name, message] of Object.entries(messages)) {
      await writeFile(join(outDir, `${name}.html`), message.html, 'utf8');
      const page = await browser.newPage({ viewport: { width: 1060, height: 200 }, deviceScaleFactor: 1 });
      await page.setContent(message.html, { waitUntil: 'load' });
      await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });
      await page.close();
      console.log(`Subject: ${message.subject}\nWrote ${join(outDir, `${name}.png`)}`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
