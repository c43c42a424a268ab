import type { ChildProcess } from 'node:child_process';
import type { ScanSource } from '@app/iam';
import { apiMemoryLimitMiB, podOldSpaceMb } from '../pod-heap';
import { forkReady, stopChild } from './children';
import type { AccountPart, OrganizationRunMode } from './organization-runs';

export interface ScanWorkerSetup {
  endpoint: string;
  env: Record<string, string>;
  mode: OrganizationRunMode;
  source: ScanSource;
}

export interface ScanWorkerDone {
  op: 'done';
  parts?: [string, AccountPart][];
  error?: string;
  wallMs: number;
  peakRss: number;
  peakHeapUsed: number;
  /** CPU time the worker spent in the run. */
  cpuMs: number;
  attempts: { ok: number; throttled: number; errors: number };
  meanLatencyMs: number;
}

/** The bench's handle on scan-worker.ts: a child process built for one run. */
export class ScanWorker {
  private constructor(private readonly child: ChildProcess) {}

  /**
   * Resolves once the worker has built its module and reached IAM once (so the run pays for neither). Its heap is
   * the one Node gives itself in the API's pod (the Deployment's memory limit), not this machine's default (4 GB
   * here, which lets garbage pile up to far more RSS than the pod would ever hold).
   */
  static async start(setup: ScanWorkerSetup): Promise<ScanWorker> {
    const child = await forkReady(
      'scan-worker.ts',
      'scan worker',
      ['--expose-gc', `--max-old-space-size=${podOldSpaceMb(apiMemoryLimitMiB())}`],
      { ...process.env, SCAN_WORKER_SETUP: JSON.stringify(setup) },
    );
    return new ScanWorker(child);
  }

  /** Runs the scan; rejects if the worker dies first. */
  run(): Promise<ScanWorkerDone> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`scan worker exited during the run (${signal ?? code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (done: ScanWorkerDone) => {
        this.child.off('exit', onExit);
        resolve(done);
      });
      this.child.send({ op: 'go' });
    });
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 30_000);
  }
}
