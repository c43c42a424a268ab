/**
 * One organization run of `npm run bench` in a process of its own, as the API or a scan Job runs it: its peak
 * RSS is the scanner's (Node, Nest, the SDK clients and the scan), not whatever earlier sections left in the
 * bench's heap, and nothing (clients, STS sessions, learnt paces, the V8 heap) carries over from another run.
 * Setup comes in SCAN_WORKER_SETUP; it says `ready` once the module is built, runs on `go`, answers `done`.
 */
import { collectGarbage, MemorySampler } from './measure';
import { runOrganization, type AccountPart } from './organization-runs';
import { BenchScanner } from './scanner';
import type { ScanWorkerDone, ScanWorkerSetup } from './scan-worker.client';

async function main(): Promise<void> {
  const setup = JSON.parse(process.env.SCAN_WORKER_SETUP ?? '') as ScanWorkerSetup;
  const scanner = await BenchScanner.create(setup.endpoint, setup.env);
  await scanner.warmUp(0);
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send?.({ op: 'ready' });
  });
  collectGarbage();
  const sampler = new MemorySampler().start();
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  let parts: [string, AccountPart][] | undefined;
  let error: string | undefined;
  try {
    parts = [...(await runOrganization(scanner, setup.mode, setup.source))];
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const wallMs = performance.now() - startedAt;
  sampler.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const { recorder } = scanner;
  const done: ScanWorkerDone = {
    op: 'done',
    ...(parts ? { parts } : {}),
    ...(error === undefined ? {} : { error }),
    wallMs,
    peakRss: sampler.peakRss,
    peakHeapUsed: sampler.peakHeapUsed,
    cpuMs: (cpu.user + cpu.system) / 1000,
    attempts: { ok: recorder.ok, throttled: recorder.throttled, errors: recorder.errors },
    meanLatencyMs: recorder.meanOkLatencyMs,
  };
  await new Promise<void>((resolve) => process.send?.(done, () => resolve()));
  await scanner.close();
  process.disconnect();
}

process.once('disconnect', () => process.exit(0));
main().catch((err: unknown) => {
  console.error('scan worker:', err);
  process.exit(1);
});
