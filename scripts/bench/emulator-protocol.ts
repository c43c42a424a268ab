import type { EmulatorCounters, RateLimit } from '@app/iam-emulator';

/** One emulated account and how IAM behaves in front of it. */
export interface EmulatorSetup {
  seed: number;
  users: number;
  youngUserFraction: number;
  /** The instant the seeded ages count back from, so the bench can compute the expected answer for any instant. */
  nowMs: number;
  latencyMs: [number, number];
  rateLimit?: RateLimit;
  reportDelayMs: number;
}

/** An access key as both sides of the IPC channel see it (dates as epoch ms). */
export interface KeyRecord {
  userName: string;
  accessKeyId: string;
  createdMs: number;
  status: 'Active' | 'Inactive';
}

export interface StartedEmulator {
  url: string;
  users: number;
  /** Users created within the 24 h before `nowMs`. */
  youngUsers: number;
  /** Users owning at least one key: the credential report's candidates for an inventory scan. */
  usersWithKeys: number;
}

export type WorkerRequest =
  | { op: 'start'; setup: EmulatorSetup }
  | { op: 'counters' }
  | { op: 'resetCounters' }
  | { op: 'expectedOldKeys'; hours: number; includeInactive: boolean; nowMs: number }
  | { op: 'changeKeys'; count: number }
  | { op: 'expireReport' }
  | { op: 'cpuUsage' }
  | { op: 'stop' };

/** What each request answers. */
export interface WorkerResults {
  start: StartedEmulator;
  counters: EmulatorCounters;
  resetCounters: null;
  expectedOldKeys: KeyRecord[];
  /** The users whose keys changed. */
  changeKeys: string[];
  expireReport: null;
  /** The worker's process.cpuUsage(), in microseconds. */
  cpuUsage: NodeJS.CpuUsage;
  stop: null;
}

export type WorkerOp = keyof WorkerResults;

export type WorkerEnvelope = WorkerRequest & { id: number };

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
