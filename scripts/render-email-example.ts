/**
 * Renders a sample owner reminder (fixed clock, sample keys) and screenshots it with headless Chromium into
 * docs/notifier/email-example.png, so the README shows what owners receive.
 *   node -r @swc-node/register scripts/render-email-example.ts [out.png]
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { classifyKeys, EmailRenderer } from '@app/notifier';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DAY_MS = 86_400_000;
const now = new Date('2026-11-23T12:00:00.000Z');
const created = (days: number, hours = 0) => new Date(now.getTime() - days * DAY_MS - hours * 3_600_000);

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'docs/notifier/email-example.png');
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}; install it or set CHROMIUM_PATH`);
  }
  const policy = { warnAgeDays: 15, expireAgeDays: 20 };
  const keys = classifyKeys(
    [
      {
        userName: 'deploy+ci=prod,eu.bot@team_x-1',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        createdDate: created(27, 5),
        status: 'Active',
        ageHours: 0,
      },
      {
        userName: 'alice.smith',
        accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
        createdDate: created(17, 2),
        status: 'Active',
        ageHours: 0,
      },
      {
        userName: 'alice.smith',
        accessKeyId: 'AKIAJ7Q2EXAMPLEKEY02',
        createdDate: created(15, 1),
        status: 'Inactive',
        ageHours: 0,
      },
    ],
    now,
    policy,
  );
  const message = new EmailRenderer({ now, policy, partition: 'aws', accountLabel: 'prod' }).owner(keys);
  await writeFile(out.replace(/\.png$/, '.html'), message.html, 'utf8');

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
    const page = await browser.newPage({ viewport: { width: 1000, height: 200 }, deviceScaleFactor: 1 });
    await page.setContent(message.html, { waitUntil: 'load' });
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(`Subject: ${message.subject}\nWrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
