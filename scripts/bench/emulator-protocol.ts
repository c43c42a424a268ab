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
  /** Keys of the root user (0 unless given): the credential report's root row. */
  rootAccessKeys?: 0 | 1 | 2;
}

/** An access key as both sides of the IPC channel see it (dates as epoch ms). */
export interface KeyRecord {
  userName: string;
  accessKeyId: string;
  createdMs: number;
  status: 'Active' | 'Inactive';
}

/**
 * An organization in one emulator: the management account and `small` members first come `large` members
 * (ids 200000000001…, so the account directory, which sorts by id, hands them out first), each account rate
 * limited on its own bucket.
 */
export interface OrganizationSetup {
  seed: number;
  /** Accounts with `smallUsers` users each, the management account included. */
  smallAccounts: number;
  smallUsers: number;
  largeAccounts: number;
  largeUsers: number;
  nowMs: number;
  latencyMs: [number, number];
  rateLimit: RateLimit;
  reportDelayMs: number;
}

export interface StartedOrganization {
  url: string;
  managementAccountId: string;
  memberRoleName: string;
  accounts: { accountId: string; name: string; users: number; usersWithKeys: number; large: boolean }[];
}

/** A key as the inventory route must answer it: last use and findings under the default thresholds. */
export interface KeyFindingsRecord extends KeyRecord {
  lastUsedMs: number | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
  findings: string[];
}

/** The inventory's expected answer at one instant: every user's key, and the root user's (by slot). */
export interface ExpectedInventory {
  keys: KeyFindingsRecord[];
  rootKeys: (KeyFindingsRecord & { slot: 1 | 2 })[];
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
  | { op: 'startOrganization'; setup: OrganizationSetup }
  | { op: 'expectedOldKeysByAccount'; hours: number; includeInactive: boolean; nowMs: number }
  | { op: 'countersByAccount' }
  | { op: 'denyAssumeRole'; accountIds: string[] }
  | { op: 'counters' }
  | { op: 'resetCounters' }
  | { op: 'expectedOldKeys'; hours: number; includeInactive: boolean; nowMs: number }
  | { op: 'expectedInventory'; nowMs: number }
  | { op: 'changeKeys'; count: number }
  | { op: 'expireReport' }
  | { op: 'cpuUsage' }
  | { op: 'stop' };

/** What each request answers. */
export interface WorkerResults {
  start: StartedEmulator;
  startOrganization: StartedOrganization;
  /** Every ACTIVE account's expected keys, by account id. */
  expectedOldKeysByAccount: Record<string, KeyRecord[]>;
  countersByAccount: Record<string, EmulatorCounters>;
  /** Replaces the set of accounts whose AssumeRole is refused. */
  denyAssumeRole: null;
  counters: EmulatorCounters;
  resetCounters: null;
  expectedOldKeys: KeyRecord[];
  expectedInventory: ExpectedInventory;
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
