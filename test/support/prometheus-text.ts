export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Reads the Prometheus text exposition format; throws on a line that is neither comment nor sample. */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) {
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) {
      throw new Error(`Not a Prometheus sample line: ${line}`);
    }
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1]] = l[2];
    }
    const raw = m[3];
    samples.push({ name: m[1], labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return samples;
}

function matches(sample: PromSample, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
}

/** The value of the one series with exactly these labels (undefined when absent). */
export function seriesValue(
  samples: PromSample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && matches(s, labels) && Object.keys(s.labels).length === Object.keys(labels).length,
  );
  if (found.length > 1) {
    throw new Error(`${name} has ${found.length} series for ${JSON.stringify(labels)}`);
  }
  return found[0]?.value;
}

/** Sum over every series of `name` carrying at least these labels. */
export function seriesSum(samples: PromSample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && matches(s, labels)).reduce((sum, s) => sum + s.value, 0);
}

export async function scrapeMetrics(baseUrl: string): Promise<PromSample[]> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (res.status !== 200) {
    throw new Error(`/metrics answered ${res.status}`);
  }
  return parsePrometheus(await res.text());
}
