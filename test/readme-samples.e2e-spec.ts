import { readFileSync } from 'node:fs';
import path from 'node:path';
import { demoHarnessOptions, SAMPLE_HOURS } from '../scripts/demo/demo-account';
import {
  askDemo,
  costBlock,
  measureCosts,
  readmeSample,
  renderCosts,
  type SampleAnswer,
} from '../scripts/demo/demo-samples';
import { ROOT, startApiOnEmulator } from './support/api-harness';

const DATE_FIELDS = new Set(['created_date', 'last_rotated', 'data_read_at', 'report_generated_at']);

/** Dates move with the day the demo runs; what the README promises is everything else, ages to the hour. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(comparable);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (DATE_FIELDS.has(k)) {
          return [k, typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? 'a date' : v];
        }
        return [k, k === 'age_hours' && typeof v === 'number' ? Math.round(v) : comparable(v)];
      }),
    );
  }
  return value;
}

describe('the README samples (npm run readme:samples writes them)', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  let answers: SampleAnswer[];

  beforeAll(async () => {
    const api = await startApiOnEmulator(demoHarnessOptions());
    try {
      answers = await askDemo(api.url);
    } finally {
      await api.close();
    }
  }, 30_000);

  it.each(['list-users', 'credential-report'] as const)('show what the demo answers for %s', (id) => {
    const answer = answers.find((a) => a.sample.id === id);
    expect(answer?.status).toBe(200);
    const shown = readmeSample(readme, id);
    expect(shown).toBeDefined();
    expect(comparable(shown)).toEqual(comparable(answer?.body));
  });

  it('state what each request costs at IAM with scan sharing on and off, as measured now', async () => {
    const rows = await measureCosts((env) => startApiOnEmulator(demoHarnessOptions(env)));
    // Prettier pads the table's columns in the README; the cells are what must agree.
    const cells = (table: string) =>
      table.split('\n').map((line) => line.split('|').map((c) => c.trim().replace(/^-+$/, '-')));
    const shown = costBlock.exec(readme)?.[2].trim() ?? '';
    expect(cells(shown)).toEqual(cells(renderCosts(rows)));
    // The trade-off the README explains: sharing reads every user, exact scans skip young users and non-candidates.
    expect(rows[0].calls[1].ListAccessKeys).toBeLessThan(rows[0].calls[0].ListAccessKeys);
    expect(rows[1].calls[1].ListAccessKeys).toBeLessThan(rows[1].calls[0].ListAccessKeys);
  }, 60_000);

  it('the README sends the same requests the samples were made with', () => {
    expect(readme).toContain(
      `curl -s 'http://localhost:3000/v1/iam/old-access-keys/list-users?hours=${SAMPLE_HOURS}&include_inactive=true'`,
    );
    expect(readme).toContain(`-d '{"hours": ${SAMPLE_HOURS}, "include_inactive": false}'`);
  });
});
