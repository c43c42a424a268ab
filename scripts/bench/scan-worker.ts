/**
 * One organization run of `npm run bench` in a process of its own, as the API or a scan Job runs it: its peak
 * RSS is the scanner's (Node, Nest, the SDK clients and the scan), not whatever earlier sections left in the
 * bench's heap, and nothing (clients, STS sessions, learnt paces, the V8 heap) carries over from another run.
 * Setup comes in SCAN_WORKER_SETUP; it says `ready` once the module is built, runs on `go`, answers `done`.
 */
import { collectGarbage, MemorySampler } from './measure';
import { runOrganization } from './organization-runs';
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
  let done: ScanWorkerDone;
  try {
    const parts = await runOrganization(scanner, setup.mode, setup.source);
    done = {
      op: 'done',
      parts: [...parts],
      wallMs: performance.now() - startedAt,
      peakRss: 0,
      peakHeapUsed: 0,
      cpuMs: 0,
    };
  } catch (err) {
    done = {
      op: 'done',
      error: err instanceof Error ? err.message : String(err),
      wallMs: performance.now() - startedAt,
      peakRss: 0,
      peakHeapUsed: 0,
      cpuMs: 0,
    };
  }
  sampler.stop();
  const cpu = process.cpuUsage(cpuBefore);
  done.peakRss = sampler.peakRss;
  done.peakHeapUsed = sampler.peakHeapUsed;
  done.cpuMs = (cpu.user + cpu.system) / 1000;
  done.attempts = { ok: scanner.recorder.ok, throttled: scanner.recorder.throttled, errors: scanner.recorder.errors };
  done.meanLatencyMs = scanner.recorder.meanOkLatencyMs;
  await new Promise<void>((resolve) => process.send?.(done, () => resolve()));
  await scanner.close();
  process.disconnect();
}

process.once('disconnect', () => process.exit(0));
main().catch((err: unknown) => {
  console.error('scan worker:', err);
  process.exit(1);
});
