import type { EmulatorCounters } from '@app/iam-emulator';
import type { EmulatorSetup, KeyRecord } from './emulator-protocol';
import type { EmulatorWorkerClient } from './emulator-worker.client';
import type { Table } from './markdown';
import { checkKeys, collectGarbage, MemorySampler, type KeyCheck } from './measure';
import type { BenchScanner } from './scanner';

export interface TargetRow {
  target: string;
  measured: string;
  met: boolean;
}

export interface SectionOutcome {
  tables: Table[];
  targets: TargetRow[];
  /** Correctness broken (keys lost or invented, a scan failed): these make the bench exit non-zero. */
  failures: string[];
}

export interface BenchContext {
  quick: boolean;
  worker: EmulatorWorkerClient;
  progress(message: string): void;
}

/** Seeded accounts count ages back from a whole second, like the report's dates. */
export const wholeSecondNow = (): number => Math.floor(Date.now() / 1000) * 1000;

export type Setup = Omit<EmulatorSetup, 'nowMs'>;

export interface Run<T> {
  value?: T;
  error?: unknown;
  wallMs: number;
  /** Wall clock just before and just after the run, for the expected answer. */
  beforeMs: number;
  afterMs: number;
  peakRss: number;
  /** Peak V8 heap in use, where the run measured it. */
  peakHeapUsed?: number;
  /** CPU time the bench process spent during the run, as a share of one core: near 1 means the client is CPU-bound. */
  cpuShare: number;
  /** The same for the emulator's process. */
  emulatorCpuShare: number;
  /** The emulator's view: requests per action, throttled, peak in flight at IAM. */
  counters: EmulatorCounters;
  /** Client-side mean duration of a successful attempt (SDK + HTTP + emulator latency). */
  meanLatencyMs: number;
  attempts: { ok: number; throttled: number; errors: number; okAt: number[] };
  startedAt: number;
}

/** Runs one timed phase with fresh counters on both sides and a memory sampler. */
export async function timed<T>(ctx: BenchContext, scanner: BenchScanner, fn: () => Promise<T>): Promise<Run<T>> {
  await ctx.worker.request({ op: 'resetCounters' });
  scanner.recorder.reset();
  collectGarbage();
  const sampler = new MemorySampler().start();
  const emulatorCpuBefore = await ctx.worker.request({ op: 'cpuUsage' });
  const beforeMs = Date.now();
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  let value: T | undefined;
  let error: unknown;
  try {
    value = await fn();
  } catch (err) {
    error = err;
  }
  const wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const afterMs = Date.now();
  sampler.stop();
  const emulatorCpu = await ctx.worker.request({ op: 'cpuUsage' });
  const counters = await ctx.worker.request({ op: 'counters' });
  const { recorder } = scanner;
  return {
    value,
    error,
    wallMs,
    beforeMs,
    afterMs,
    peakRss: sampler.peakRss,
    peakHeapUsed: sampler.peakHeapUsed,
    cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
    emulatorCpuShare:
      (emulatorCpu.user - emulatorCpuBefore.user + emulatorCpu.system - emulatorCpuBefore.system) / 1000 / wallMs,
    counters,
    meanLatencyMs: recorder.meanOkLatencyMs,
    attempts: { ok: recorder.ok, throttled: recorder.throttled, errors: recorder.errors, okAt: [...recorder.okAt] },
    startedAt,
  };
}

/** Compares what a run returned with the emulator's answer for the instants around it. */
export async function verify(
  ctx: BenchContext,
  run: Run<unknown>,
  returned: KeyRecord[] | undefined,
  query: { hours: number; includeInactive: boolean },
): Promise<KeyCheck> {
  const [required, allowed] = await Promise.all([
    ctx.worker.request({ op: 'expectedOldKeys', ...query, nowMs: run.beforeMs }),
    ctx.worker.request({ op: 'expectedOldKeys', ...query, nowMs: run.afterMs }),
  ]);
  return checkKeys(returned ?? [], required, allowed);
}

export const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export const keysCell = (check: KeyCheck): string =>
  check.lost === 0 && check.extra === 0
    ? `${check.returned.toLocaleString('en-US')} / ${check.expected.toLocaleString('en-US')} ✓`
    : `${check.returned} / ${check.expected} ✗ (lost ${check.lost}, extra ${check.extra})`;

/** Totals over all actions of the emulator's request counter. */
export const iamRequests = (counters: EmulatorCounters): number => counters.totalIamRequests;
export const throttledTotal = (counters: EmulatorCounters): number =>
  Object.values(counters.throttled).reduce((a, b) => a + b, 0);
