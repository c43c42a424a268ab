import type { ChildProcess } from 'node:child_process';
import { forkReady, stopChild } from './children';
import type {
  EmulatorSetup,
  StartedEmulator,
  WorkerOp,
  WorkerReply,
  WorkerRequest,
  WorkerResults,
} from './emulator-protocol';

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

/** The bench's handle on emulator-worker.ts: one child process, reconfigured per section with `start`. */
export class EmulatorWorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: WorkerReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) {
        return;
      }
      this.pending.delete(reply.id);
      if (reply.ok) {
        waiter.resolve(reply.value);
      } else {
        waiter.reject(new Error(`emulator worker: ${reply.error}`));
      }
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`emulator worker exited (${signal ?? code})`));
      }
      this.pending.clear();
    });
  }

  static async spawn(): Promise<EmulatorWorkerClient> {
    const child = await forkReady('emulator-worker.ts', 'emulator worker');
    return new EmulatorWorkerClient(child);
  }

  start(setup: EmulatorSetup): Promise<StartedEmulator> {
    return this.request({ op: 'start', setup });
  }

  request<R extends WorkerRequest>(request: R): Promise<WorkerResults[R['op'] & WorkerOp]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ ...request, id }, (err) => {
        if (err) {
          this.pending.delete(id);
          reject(err);
        }
      });
    });
  }

  async close(): Promise<void> {
    if (this.child.connected) {
      await this.request({ op: 'stop' }).catch(() => undefined);
      this.child.disconnect();
    }
    await stopChild(this.child);
  }
}
