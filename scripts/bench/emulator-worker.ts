/**
 * The IAM emulator in its own process for `npm run bench`, so its event loop (latency timers, XML
 * rendering) does not share a thread with the scanner being measured. Driven over the IPC channel:
 * see emulator-protocol.ts. Exits when the parent goes away.
 */
import { setMaxListeners } from 'node:events';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  expectedOldKeys,
  expectedOldKeysByAccount,
  IamEmulator,
  seedAccount,
  seedOrganization,
  type EmulatedOrganization,
  type ExpectedOldKey,
} from '@app/iam-emulator';
import { expectedFindings, expectedRootFindings, type ExpectedKeyFindings } from '../../test/support/expected-findings';
import type {
  EmulatorSetup,
  ExpectedInventory,
  KeyFindingsRecord,
  KeyRecord,
  OrganizationSetup,
  StartedEmulator,
  StartedOrganization,
  WorkerEnvelope,
  WorkerReply,
  WorkerResults,
} from './emulator-protocol';

const DAY_MS = 24 * 3_600_000;

// Each request held for its latency listens on the emulator's stop signal: an organization scan holds dozens at once.
setMaxListeners(1000);
let emulator: IamEmulator | undefined;
let organization: EmulatedOrganization | undefined;

async function start(setup: EmulatorSetup): Promise<StartedEmulator> {
  await emulator?.stop();
  organization = undefined;
  const account = seedAccount({
    seed: setup.seed,
    users: setup.users,
    now: new Date(setup.nowMs),
    youngUserFraction: setup.youngUserFraction,
    rootAccessKeys: setup.rootAccessKeys,
  });
  emulator = new IamEmulator({
    account,
    seed: setup.seed,
    latencyMs: setup.latencyMs,
    rateLimit: setup.rateLimit,
    reportDelayMs: setup.reportDelayMs,
  });
  const url = await emulator.start(0, '127.0.0.1');
  const users = account.listUsers();
  return {
    url,
    users: users.length,
    youngUsers: users.filter((u) => u.createDate.getTime() > setup.nowMs - DAY_MS).length,
    usersWithKeys: users.filter((u) => u.accessKeys.length > 0).length,
  };
}

async function startOrganization(setup: OrganizationSetup): Promise<StartedOrganization> {
  await emulator?.stop();
  const isLarge = (index: number) => index >= 1 && index <= setup.largeAccounts;
  organization = seedOrganization({
    seed: setup.seed,
    accounts: setup.smallAccounts + setup.largeAccounts,
    usersPerAccount: (index) => (isLarge(index) ? setup.largeUsers : setup.smallUsers),
    now: new Date(setup.nowMs),
    youngUserFraction: 0,
  });
  emulator = new IamEmulator({
    organization,
    seed: setup.seed,
    latencyMs: setup.latencyMs,
    rateLimit: setup.rateLimit,
    reportDelayMs: setup.reportDelayMs,
  });
  const url = await emulator.start(0, '127.0.0.1');
  return {
    url,
    managementAccountId: organization.managementAccountId,
    memberRoleName: DEFAULT_MEMBER_ROLE_NAME,
    accounts: organization.accounts.map(({ id, name, account }, index) => {
      const users = account.listUsers();
      return {
        accountId: id,
        name,
        users: users.length,
        usersWithKeys: users.filter((u) => u.accessKeys.length > 0).length,
        large: isLarge(index),
      };
    }),
  };
}

const keyRecord = (k: ExpectedOldKey): KeyRecord => ({
  userName: k.userName,
  accessKeyId: k.accessKeyId,
  createdMs: k.createdDate.getTime(),
  status: k.status,
});

const findingsRecord = (k: ExpectedKeyFindings): KeyFindingsRecord => ({
  userName: k.userName,
  accessKeyId: k.accessKeyId,
  createdMs: k.createdDate.getTime(),
  status: k.status,
  lastUsedMs: k.lastUsedDate?.getTime() ?? null,
  lastUsedService: k.lastUsedService,
  lastUsedRegion: k.lastUsedRegion,
  findings: [...k.findings],
});

function expectedInventory(nowMs: number): ExpectedInventory {
  const { account } = running();
  const now = new Date(nowMs);
  return {
    keys: expectedFindings(account, { now }).map(findingsRecord),
    rootKeys: expectedRootFindings(account, { now }).map((k) => ({ ...findingsRecord(k), slot: k.slot })),
  };
}

function runningOrganization(): { emulator: IamEmulator; organization: EmulatedOrganization } {
  if (!emulator || !organization) {
    throw new Error('no organization started');
  }
  return { emulator, organization };
}

function running(): IamEmulator {
  if (!emulator) {
    throw new Error('no emulator started');
  }
  return emulator;
}

/**
 * Gives `count` users (spread evenly over the account) a different key in slot 1: the oldest key is
 * replaced by one created a second later, still old, so the next credential report shows a changed
 * creation date for exactly those users.
 */
function changeKeys(count: number): string[] {
  const { account } = running();
  const owners = account.listUsers().filter((u) => u.accessKeys.length > 0);
  const step = owners.length / Math.max(1, count);
  const changed: string[] = [];
  for (let i = 0; i < count && i < owners.length; i++) {
    const user = owners[Math.floor(i * step)];
    const key = user.accessKeys[0];
    account.deleteAccessKey(key.accessKeyId);
    account.addAccessKey(user.userName, {
      createDate: new Date(key.createDate.getTime() + 1000),
      status: key.status,
      lastUsed: key.lastUsed,
    });
    changed.push(user.userName);
  }
  return changed;
}

async function handle(request: WorkerEnvelope): Promise<WorkerResults[WorkerEnvelope['op']]> {
  switch (request.op) {
    case 'start':
      return start(request.setup);
    case 'startOrganization':
      return startOrganization(request.setup);
    case 'expectedOldKeysByAccount': {
      const byAccount = expectedOldKeysByAccount(runningOrganization().organization, {
        hours: request.hours,
        includeInactive: request.includeInactive,
        now: new Date(request.nowMs),
      });
      return Object.fromEntries([...byAccount].map(([id, keys]) => [id, keys.map(keyRecord)]));
    }
    case 'countersByAccount': {
      const org = runningOrganization().emulator;
      return Object.fromEntries(org.accountIds.map((id) => [id, { ...org.countersFor(id) }]));
    }
    case 'denyAssumeRole': {
      const denied = runningOrganization().emulator.assumeRoleDenied;
      denied.clear();
      request.accountIds.forEach((id) => denied.add(id));
      return null;
    }
    case 'counters':
      return running().counters;
    case 'resetCounters':
      running().resetCounters();
      return null;
    case 'expectedOldKeys':
      return expectedOldKeys(running().account, {
        hours: request.hours,
        includeInactive: request.includeInactive,
        now: new Date(request.nowMs),
      }).map(keyRecord);
    case 'expectedInventory':
      return expectedInventory(request.nowMs);
    case 'changeKeys':
      return changeKeys(request.count);
    case 'expireReport':
      running().expireCredentialReport();
      return null;
    case 'cpuUsage':
      return process.cpuUsage();
    case 'stop':
      await emulator?.stop();
      emulator = undefined;
      organization = undefined;
      return null;
    default: {
      const _exhaustive: never = request;
      throw new Error(`unknown request ${JSON.stringify(_exhaustive)}`);
    }
  }
}

function reply(message: WorkerReply): void {
  process.send?.(message);
}

process.on('message', (request: WorkerEnvelope) => {
  handle(request).then(
    (value) => reply({ id: request.id, ok: true, value }),
    (err: unknown) => reply({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});

process.on('disconnect', () => {
  const stopping = emulator?.stop() ?? Promise.resolve();
  stopping.finally(() => process.exit(0)).catch(() => process.exit(1));
});

process.send?.({ id: 0, ok: true, value: 'ready' } satisfies WorkerReply);
