import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expectedOldKeys, seedAccount } from '@app/iam-emulator';
import { ROOT, startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { chromiumMissingReason, launchChromium } from './support/browser';

const LIST = '/v1/iam/old-access-keys/list-users';
const TIMEOUT_MS = 30_000;
const SCREENSHOT = path.join(ROOT, 'test-output', 'swagger-ui.png');
const RESPONSE_SCREENSHOT = path.join(ROOT, 'test-output', 'swagger-ui-response.png');
const HOUR_MS = 3_600_000;

const onCi = !!process.env.CI && process.env.CI !== 'false';
const missing = chromiumMissingReason();
if (missing && !onCi) {
  console.warn(`Skipping the Swagger UI test: ${missing}`);
}

/** On CI a missing browser fails the run (in beforeAll, with the reason); locally the suite is skipped. */
const describeWithBrowser = missing && !onCi ? describe.skip : describe;

describeWithBrowser('Swagger UI at /docs, used as a person would in Chromium', () => {
  let h: ApiHarness;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const offHostRequests: string[] = [];
  // Seed 7 with 12 users: old, young and Inactive keys, none within minutes of the 24 h line, so the few
  // seconds between seeding and the scan cannot move a key across it.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const account = seedAccount({ seed: 7, users: 12, now });

  beforeAll(async () => {
    if (missing) {
      throw new Error(missing);
    }
    h = await startApiOnEmulator({ emulator: { account } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(TIMEOUT_MS);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const origin = new URL(h.url).origin;
    // Everything Swagger UI needs comes from the app itself; anything else would need the internet.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('data:')) {
        return route.continue();
      }
      offHostRequests.push(url);
      return route.abort();
    });
  }, TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it(
    'Try it out on list-users with hours=24 shows a 200 and the seeded account\u2019s old keys',
    async () => {
      const allKeys = account.listUsers().flatMap((u) => u.accessKeys);
      const nearestToLineMs = Math.min(
        ...allKeys.map((k) => Math.abs(now.getTime() - k.createDate.getTime() - 24 * HOUR_MS)),
      );
      expect(nearestToLineMs).toBeGreaterThan(10 * 60_000);
      const expected = expectedOldKeys(account, { hours: 24, includeInactive: false, now });
      expect(expected.length).toBeGreaterThanOrEqual(5);
      expect(expected.length).toBeLessThan(allKeys.length);

      await page.goto(`${h.url}/docs`);
      const operation = page.locator('.opblock', {
        has: page.locator(`.opblock-summary-path[data-path="${LIST}"]`),
      });
      await operation.locator('.opblock-summary-path').click();
      await operation.locator('.try-out__btn').click();

      const hours = operation.locator('tr[data-param-name="hours"] input');
      await hours.fill('24');
      await operation.locator('button.execute').click();

      const status = operation.locator(
        '.responses-wrapper .live-responses-table .response-col_status:not(.col_header)',
      );
      await status.waitFor();
      // Taken before the assertions, so a failing run leaves the page it saw behind.
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      // The full page is tall; a close-up of the live response is what a reviewer of the CI artifact wants.
      await operation.locator('.responses-wrapper .live-responses-table').screenshot({ path: RESPONSE_SCREENSHOT });

      await expect(status.innerText()).resolves.toBe('200');
      await expect(operation.locator('.request-url pre').innerText()).resolves.toBe(
        `${h.url}${LIST}?hours=24&include_inactive=false&allow_partial=false`,
      );

      const shownBody = await operation
        .locator('.responses-wrapper .live-responses-table .response-col_description .highlight-code pre')
        .innerText();
      const body = JSON.parse(shownBody) as { count: number; old_access_keys: { access_key_id: string }[] };
      expect(body.count).toBe(expected.length);
      expect(body.old_access_keys.map((k) => k.access_key_id)).toEqual(expected.map((k) => k.accessKeyId));

      expect(pageErrors).toEqual([]);
      expect(offHostRequests).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
