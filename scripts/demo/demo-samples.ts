import { DEMO_SAMPLES, SAMPLE_HOURS, type DemoSample } from './demo-account';

export interface SampleAnswer {
  sample: DemoSample;
  status: number;
  body: unknown;
}

/** Sends the README's requests to an API on the demo organization, as `npm run demo` serves it. */
export async function askDemo(baseUrl: string): Promise<SampleAnswer[]> {
  const answers: SampleAnswer[] = [];
  for (const sample of DEMO_SAMPLES) {
    answers.push(await askOne(baseUrl, sample));
  }
  return answers;
}

async function askOne(baseUrl: string, sample: DemoSample): Promise<SampleAnswer> {
  const res = await fetch(`${baseUrl}${sample.path}`, {
    method: sample.method,
    headers: sample.body ? { 'content-type': 'application/json' } : {},
    body: sample.body ? JSON.stringify(sample.body) : undefined,
  });
  return { sample, status: res.status, body: await res.json() };
}

export const sampleBlock = (id: string) =>
  new RegExp(`(<!-- demo-sample:${id} -->\\n\\n\`\`\`json\\n)([\\s\\S]*?)(\`\`\`\\n\\n<!-- /demo-sample -->)`);

/** The JSON the README shows for one sample, or undefined when its markers are missing. */
export function readmeSample(readme: string, id: DemoSample['id']): unknown {
  const match = sampleBlock(id).exec(readme);
  return match ? (JSON.parse(match[2]) as unknown) : undefined;
}

export interface CostRow {
  route: string;
  /** ListUsers and ListAccessKeys calls per setting of SCAN_CACHE_TTL_SECONDS: the default 60, then 0. */
  calls: [Record<string, number>, Record<string, number>];
}

/** An API on the demo organization with the given environment, and the emulator's per-action request counts (all accounts). */
export type DemoApiStarter = (env: Record<string, string>) => Promise<{
  url: string;
  emulator: { readonly counters: { requests: Record<string, number> }; resetCounters(): void };
  close(): Promise<void>;
}>;

const COST_ACTIONS = ['ListUsers', 'ListAccessKeys'];

/** What one request of each README sample costs at IAM, with scan sharing on (the default) and off. */
export async function measureCosts(start: DemoApiStarter): Promise<CostRow[]> {
  const rows: CostRow[] = DEMO_SAMPLES.map((sample) => ({ route: sample.id, calls: [{}, {}] }));
  for (const [column, ttl] of ['60', '0'].entries()) {
    const api = await start({ SCAN_CACHE_TTL_SECONDS: ttl });
    try {
      for (const [i, sample] of DEMO_SAMPLES.entries()) {
        api.emulator.resetCounters();
        await askOne(api.url, sample);
        const { requests } = api.emulator.counters;
        rows[i].calls[column] = Object.fromEntries(COST_ACTIONS.map((a) => [a, requests[a] ?? 0]));
      }
    } finally {
      await api.close();
    }
  }
  return rows;
}

export function renderCosts(rows: CostRow[]): string {
  const cell = (calls: Record<string, number>) =>
    COST_ACTIONS.filter((a) => calls[a] > 0)
      .map((a) => `${calls[a]} ${a}`)
      .join(' + ') || 'none';
  return [
    '| one request on the demo organization (3 accounts × 100 users) | `SCAN_CACHE_TTL_SECONDS=60` (default) | `SCAN_CACHE_TTL_SECONDS=0` |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.route} \`hours=${SAMPLE_HOURS}\` | ${cell(r.calls[0])} | ${cell(r.calls[1])} |`),
  ].join('\n');
}

export const costBlock = /(<!-- demo-costs -->\n)([\s\S]*?)(<!-- \/demo-costs -->)/;
