import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseCredentialReport, type ReportCriteria } from '@app/iam';
import { buildCredentialReportCsv, seedAccount } from '@app/iam-emulator';
import { fixed, int, mb, ms, type Table } from '../markdown';
import { canCollectGarbage, collectGarbage, median, MemorySampler } from '../measure';
import type { BenchContext, SectionOutcome } from '../section';

export interface ParseSizes {
  rows: number[];
  runs: number;
}

/** Below this the heap's own noise (compiled code, feedback vectors) is as large as the result. */
const MEASURABLE_BYTES = 1024 * 1024;

interface Threshold {
  name: string;
  criteria: ReportCriteria;
}

interface Measurement {
  rows: number;
  reportBytes: number;
  threshold: string;
  candidates: number;
  medianMs: number;
  minMs: number;
  /** Median CPU time of the bench process per parse: less swayed than wall time by other load on the machine. */
  medianCpuMs: number;
  peakHeapDelta: number;
  retainedHeap: number;
  peakRss: number;
}

/**
 * parseCredentialReport alone, on reports built by the emulator's generator: time (median of a few
 * runs after a warm-up) and heap, for a threshold most rows pass and one about 1% pass.
 */
export async function parseReports(ctx: BenchContext, sizes: ParseSizes): Promise<SectionOutcome> {
  const outcome: SectionOutcome = { tables: [], targets: [], failures: [] };
  const results: Measurement[] = [];
  for (const rows of sizes.rows) {
    ctx.progress(`parse: building a ${int(rows)}-row credential report`);
    const { content, thresholds } = buildReport(rows);
    for (const threshold of thresholds) {
      ctx.progress(`parse: ${int(rows)} rows, ${threshold.name}`);
      results.push(await measure(rows, content, threshold, sizes.runs));
    }
  }

  const memoryNote = canCollectGarbage()
    ? 'Heap figures are deltas over the heap after a full GC before the parse: the peak while it ran (sampled every 5 ms, ' +
      'so it includes the decoded report text and csv-parse buffers) and what is still held once the result alone is kept and GC ran again.'
    : 'Memory figures need node --expose-gc (npm run bench passes it); without it they are not comparable.';
  outcome.tables.push({
    title: 'Credential report parsing',
    note:
      `Reports from the emulator's generator (22 AWS columns, seeded users, 0–2 keys each), passed as bytes as the SDK hands them over. ` +
      `Time: median and best wall time of ${sizes.runs} runs after one warm-up, and the median CPU time the bench process spent per parse. ${memoryNote}`,
    headers: [
      'rows',
      'report size',
      'threshold',
      'candidates',
      'median',
      'best',
      'median CPU',
      'peak heap Δ',
      'retained heap Δ',
      'peak RSS',
    ],
    rows: results.map((r) => [
      int(r.rows),
      mb(r.reportBytes),
      r.threshold,
      int(r.candidates),
      ms(r.medianMs),
      ms(r.minMs),
      ms(r.medianCpuMs),
      mb(r.peakHeapDelta),
      mb(r.retainedHeap),
      mb(r.peakRss),
    ]),
  } satisfies Table);

  const largest = Math.max(...sizes.rows);
  const all = results.find((r) => r.rows === largest && r.threshold.startsWith('every'));
  const few = results.find((r) => r.rows === largest && !r.threshold.startsWith('every'));
  if (all && few) {
    outcome.targets.push(
      {
        target: `Parsing a ${int(largest)}-row report takes under a second`,
        measured: `median ${ms(all.medianMs)} (every user with a key a candidate; CPU ${ms(all.medianCpuMs)}), ${ms(few.medianMs)} (about 1%)`,
        met: all.medianMs < 1000 && few.medianMs < 1000,
      },
      {
        target: 'Parser memory stays proportional to the result, not to the report',
        measured:
          all.retainedHeap < MEASURABLE_BYTES
            ? `retained ${mb(few.retainedHeap)} vs ${mb(all.retainedHeap)}: too small to compare at ${int(largest)} rows`
            : `retained ${mb(few.retainedHeap)} for ${int(few.candidates)} candidates vs ${mb(all.retainedHeap)} for ` +
              `${int(all.candidates)} (${fixed(few.retainedHeap / all.retainedHeap, 3)}× the heap for ` +
              `${fixed(few.candidates / all.candidates, 3)}× the candidates); report ${mb(all.reportBytes)}, ` +
              `peak heap Δ ${mb(all.peakHeapDelta)}`,
        met:
          canCollectGarbage() &&
          all.retainedHeap >= MEASURABLE_BYTES &&
          few.retainedHeap <= 0.1 * all.retainedHeap &&
          few.retainedHeap < all.reportBytes / 10,
      },
    );
  }
  return outcome;
}

function buildReport(rows: number): { content: Buffer; thresholds: Threshold[] } {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const account = seedAccount({ seed: 505, users: rows, now });
  const oldestKeyOfEachUser = account
    .listUsers()
    .filter((u) => u.accessKeys.length > 0)
    .map((u) => Math.min(...u.accessKeys.map((k) => k.createDate.getTime())))
    .sort((a, b) => a - b);
  const onePercentCutoff = oldestKeyOfEachUser[Math.max(0, Math.floor(rows * 0.01) - 1)];
  const content = Buffer.from(buildCredentialReportCsv(account));
  return {
    content,
    thresholds: [
      { name: 'every key (hours=0, inactive too)', criteria: { cutoff: now.getTime(), includeInactive: true } },
      { name: 'about 1% of users', criteria: { cutoff: onePercentCutoff, includeInactive: true } },
    ],
  };
}

async function measure(rows: number, content: Buffer, threshold: Threshold, runs: number): Promise<Measurement> {
  await parseCredentialReport(content, threshold.criteria);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    collectGarbage();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await parseCredentialReport(content, threshold.criteria);
    times.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }

  const memory = await measureHeap(content, threshold.criteria);
  return {
    rows,
    reportBytes: content.byteLength,
    threshold: threshold.name,
    ...memory,
    medianMs: median(times),
    minMs: Math.min(...times),
    medianCpuMs: median(cpuTimes),
  };
}

/**
 * One parse in its own frame, with event-loop turns around the collections: a result still held by
 * the caller's suspended async frame would otherwise be freed during the next measurement and cancel it out.
 */
async function measureHeap(
  content: Buffer,
  criteria: ReportCriteria,
): Promise<Pick<Measurement, 'candidates' | 'peakHeapDelta' | 'retainedHeap' | 'peakRss'>> {
  await settleHeap();
  const heapBefore = process.memoryUsage().heapUsed;
  const sampler = new MemorySampler().start(5);
  const result = await parseCredentialReport(content, criteria);
  sampler.stop();
  await settleHeap();
  const retainedHeap = process.memoryUsage().heapUsed - heapBefore;
  // Read after the measurement, so the result is still reachable while the heap is measured.
  const candidates = result.candidates.length;
  return {
    candidates,
    peakHeapDelta: sampler.peakHeapUsed - heapBefore,
    retainedHeap: Math.max(0, retainedHeap),
    peakRss: sampler.peakRss,
  };
}

async function settleHeap(): Promise<void> {
  await nextTurn();
  collectGarbage();
  await nextTurn();
  collectGarbage();
}
