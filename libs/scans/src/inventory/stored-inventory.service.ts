import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  type Exemption,
  type InventoryQuery,
  type InventoryResult,
  InventoryService,
  type KeyFacts,
  type PolicyKey,
  type PolicyRootKey,
  ROOT_USER_NAME,
} from '@app/findings';
import {
  ageHours,
  ageHoursChangeAt,
  compareAccountKeys,
  IAM_CLOCK,
  accountsNotConfigured,
  type AccountOutcome,
  type Clock,
  type ScanSource,
} from '@app/iam';
import { InventoryChangeFeed, InventoryRepository, type AccountInventory, type AccountState } from '@app/store';
import { scansConfig } from '../config/scans.config';
import { ScansErrorCode, ScansException } from '../errors/scans.exception';
import { InventoryScanRunner } from '../runner/inventory-scan.runner';

export interface StoredInventoryQuery extends Omit<InventoryQuery, 'source'> {
  /** Data read longer ago than this is not good enough: wait for (or start) a scan, within SCAN_WAIT_SECONDS. */
  maxAgeSeconds?: number;
  /** The source of a scan started because of max_age_seconds (SCAN_SOURCE by default). */
  source?: ScanSource;
}

export interface StoredInventoryResult extends InventoryResult {
  /** Which stored scan each answered account's keys come from: changes exactly when the stored data does. */
  version: string;
  /** The scan this request waited for, if any. */
  scanId?: number;
  /**
   * Epoch ms (IAM_CLOCK) before which the same question gets this very answer, provided the inventory does not
   * change meanwhile (InventoryChangeFeed says when it does): the next instant an age moves at its precision, a
   * threshold is crossed, an exemption lapses or an account's data grows older than max_age_seconds. The answer's
   * own instant when it cannot be reused (a scan was waited for, or changes are not heard).
   */
  validUntilMs: number;
}

/** Good enough: read within max_age_seconds of the request (0: only by a scan it waited for), or by that scan. */
interface Freshness {
  asked: Date;
  maxAgeSeconds?: number;
  fromScan?: number;
}

function isFresh(inventory: AccountInventory | undefined, fresh: Freshness): boolean {
  if (!inventory) {
    return false;
  }
  if (fresh.fromScan !== undefined && inventory.scanId >= fresh.fromScan) {
    return true;
  }
  const { maxAgeSeconds } = fresh;
  return (
    maxAgeSeconds === undefined ||
    (maxAgeSeconds > 0 && fresh.asked.getTime() - inventory.dataReadAt.getTime() <= maxAgeSeconds * 1000)
  );
}

const ended = () => 'ended';

interface Snapshot {
  states: AccountState[];
  inventories: Map<string, AccountInventory>;
}

/** Account selections whose rows are held at once (a dashboard asks about a few). */
const SNAPSHOTS_HELD = 16;

const NO_CALLS = {
  usersSeen: 0,
  usersSkippedYoung: 0,
  usersVanished: 0,
  callsByAction: {},
  throttles: 0,
  retries: 0,
  peakInFlight: 0,
  durationMs: 0,
};

/**
 * The inventory answered from the store: each account's latest complete scan, judged now by the findings
 * policy, without calling IAM. A caller wanting fresher data (max_age_seconds), or asking before any scan
 * completed, waits for a scan, joined if one runs, within SCAN_WAIT_SECONDS.
 */
@Injectable()
export class StoredInventoryService {
  private readonly snapshots = new Map<string, Promise<Snapshot>>();
  private snapshotsVersion?: number;
  constructor(
    private readonly repository: InventoryRepository,
    private readonly inventory: InventoryService,
    private readonly runner: InventoryScanRunner,
    private readonly changes: InventoryChangeFeed,
    @Inject(scansConfig.KEY) private readonly config: ConfigType<typeof scansConfig>,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
  ) {}

  async read(query: StoredInventoryQuery): Promise<StoredInventoryResult> {
    const deadline = Date.now() + this.config.waitMs;
    const asked = this.clock.now();
    let waitedFor: number | undefined;
    for (;;) {
      const heardAt = this.changes.live ? this.changes.version : undefined;
      const snapshot = await this.snapshot(query.accountIds);
      const fresh = { asked, maxAgeSeconds: query.maxAgeSeconds, fromScan: waitedFor };
      // Once a scan this request waited for has ended, what is still lacking failed in it: the answer says so.
      if (this.lacking(snapshot, fresh) === 0 || waitedFor !== undefined) {
        const answer = this.answer(snapshot, query, fresh);
        const reusable = waitedFor === undefined && heardAt !== undefined && this.changes.version === heardAt;
        return {
          ...answer,
          ...(waitedFor !== undefined && { scanId: waitedFor }),
          ...(!reusable && { validUntilMs: this.clock.now().getTime() }),
        };
      }
      const scan = await this.runner.start({
        trigger: 'on-demand',
        source: query.source,
        accountIds: query.accountIds,
      });
      const left = deadline - Date.now();
      const outcome =
        left > 0
          ? await Promise.race([
              scan.done.then((o) => (o === null ? 'runner died' : 'ended'), ended),
              sleep(left).then(() => 'running'),
            ])
          : 'running';
      if (outcome === 'runner died') {
        // The next start takes the lapsed lease, ends the dead scan and scans.
        continue;
      }
      if (outcome === 'running') {
        throw new ScansException(
          ScansErrorCode.InventoryNotFresh,
          `No inventory as fresh as asked within SCAN_WAIT_SECONDS (${this.config.waitMs / 1000} s); scan ${scan.scanId} is still running`,
          { scanId: scan.scanId, retryAfterSeconds: 10 },
        );
      }
      waitedFor = scan.scanId;
    }
  }

  /**
   * The store's inventory, read again only once it changed: while changes are heard, a rebuild because time moved
   * (an age, a threshold, max_age_seconds) reuses the rows it was built from. Nothing here is mutated by readers.
   */
  private snapshot(accountIds: readonly string[] | undefined): Promise<Snapshot> {
    if (!this.changes.live) {
      return this.readSnapshot(accountIds);
    }
    if (this.snapshotsVersion !== this.changes.version) {
      this.snapshots.clear();
      this.snapshotsVersion = this.changes.version;
    }
    const key = accountIds && accountIds.length > 0 ? [...new Set(accountIds)].sort().join(',') : '';
    let held = this.snapshots.get(key);
    if (!held) {
      const reading = this.readSnapshot(accountIds);
      held = reading;
      reading.catch(() => {
        if (this.snapshots.get(key) === reading) {
          this.snapshots.delete(key);
        }
      });
      if (this.snapshots.size >= SNAPSHOTS_HELD) {
        this.snapshots.delete(this.snapshots.keys().next().value ?? '');
      }
      this.snapshots.set(key, reading);
    }
    return held;
  }

  private async readSnapshot(accountIds: readonly string[] | undefined): Promise<Snapshot> {
    let states = await this.repository.accountStates();
    if (accountIds && accountIds.length > 0 && states.length > 0) {
      const known = new Set(states.map((s) => s.accountId));
      const unknown = accountIds.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw accountsNotConfigured(unknown, 'scanned');
      }
      const wanted = new Set(accountIds);
      states = states.filter((s) => wanted.has(s.accountId));
    }
    const inventories = await this.repository.latest(states.map((s) => s.accountId));
    return { states, inventories: new Map(inventories.map((i) => [i.accountId, i])) };
  }

  /** How many asked accounts have no inventory fresh enough (all of them when nothing was ever scanned). */
  private lacking(snapshot: Snapshot, fresh: Freshness): number {
    if (snapshot.states.length === 0) {
      return 1;
    }
    return snapshot.states.filter(
      (s) => s.status !== 'skipped' && !isFresh(snapshot.inventories.get(s.accountId), fresh),
    ).length;
  }

  private answer(snapshot: Snapshot, query: StoredInventoryQuery, fresh: Freshness): StoredInventoryResult {
    const now = this.clock.now();
    const accounts: AccountOutcome[] = [];
    const keys: PolicyKey[] = [];
    const rootKeys: PolicyRootKey[] = [];
    const tags = new Map<string, Map<string, Exemption>>();
    const version: string[] = [];
    for (const state of snapshot.states) {
      const ref = { accountId: state.accountId, ...(state.accountName !== null && { accountName: state.accountName }) };
      const inventory = snapshot.inventories.get(state.accountId);
      if (state.status === 'skipped') {
        accounts.push({ ...ref, status: 'skipped', reason: state.errorCode ?? 'NOT_ACTIVE' });
        continue;
      }
      if (!inventory || !isFresh(inventory, fresh)) {
        accounts.push({ ...ref, status: 'failed', ...failureOf(state, inventory) });
        continue;
      }
      version.push(`${state.accountId}:${inventory.scanId}`);
      accounts.push({ ...ref, status: 'ok', dataReadAt: inventory.dataReadAt, keyCount: 0, stats: NO_CALLS });
      const ofAccount = new Map<string, Exemption>();
      for (const [user, raw] of inventory.tagExemptions) {
        const e = parseExemption(raw);
        if (e) {
          ofAccount.set(user, e);
        }
      }
      tags.set(state.accountId, ofAccount);
      for (const k of inventory.keys) {
        const facts: PolicyKey = {
          accountId: k.accountId,
          ...(ref.accountName !== undefined && { accountName: ref.accountName }),
          userName: k.userName,
          accessKeyId: k.accessKeyId,
          status: k.status,
          createdDate: k.createdAt,
          ageHours: ageHours(now, k.createdAt),
          lastUsedDate: k.lastUsedAt,
          lastUsedService: k.lastUsedService,
          lastUsedRegion: k.lastUsedRegion,
        };
        if (k.userName === ROOT_USER_NAME) {
          const slot = Number(k.accessKeyId.slice(ROOT_USER_NAME.length + 1)) === 2 ? 2 : 1;
          rootKeys.push({ ...facts, root: true, slot });
        } else {
          keys.push(facts);
        }
      }
    }
    keys.sort(compareAccountKeys);
    rootKeys.sort(oldestRootFirst);
    const readAt = accounts.flatMap((a) => (a.status === 'ok' ? [a.dataReadAt.getTime()] : []));
    const result = this.inventory.judgeStored(
      {
        keys,
        rootKeys,
        tagExemption: (key: KeyFacts) => tags.get(key.accountId)?.get(key.userName),
        accounts,
        complete: accounts.every((a) => a.status !== 'failed'),
        source: sourceOf(snapshot, accounts),
        ...(readAt.length > 0 && { dataReadAt: new Date(Math.min(...readAt)) }),
      },
      query,
      now,
    );
    const counts = new Map<string, number>();
    for (const k of result.keys) {
      counts.set(k.accountId, (counts.get(k.accountId) ?? 0) + 1);
    }
    let validUntilMs = result.judgedUntilMs;
    for (const a of result.accounts) {
      if (a.status === 'ok') {
        a.keyCount = counts.get(a.accountId) ?? 0;
        if (fresh.maxAgeSeconds !== undefined) {
          // Fresh while at most max_age_seconds old: a millisecond later the same question asks for a scan.
          validUntilMs = Math.min(validUntilMs, a.dataReadAt.getTime() + fresh.maxAgeSeconds * 1000 + 1);
        }
      }
    }
    for (const k of [...result.keys, ...result.rootKeys]) {
      validUntilMs = Math.min(validUntilMs, ageHoursChangeAt(now, k.createdDate));
    }
    const { judgedUntilMs: _judged, ...answer } = result;
    return { ...answer, version: version.join(','), validUntilMs };
  }
}

/** The source of the freshest account answered (SCAN_SOURCE when none is). */
function sourceOf(snapshot: Snapshot, accounts: readonly AccountOutcome[]): ScanSource {
  let freshest: AccountInventory | undefined;
  for (const a of accounts) {
    const inventory = a.status === 'ok' ? snapshot.inventories.get(a.accountId) : undefined;
    if (inventory && (!freshest || inventory.dataReadAt > freshest.dataReadAt)) {
      freshest = inventory;
    }
  }
  return freshest?.source ?? 'credential-report';
}

function failureOf(state: AccountState, inventory: AccountInventory | undefined): { code: string; message: string } {
  const latest = inventory ? `its latest complete inventory was read at ${inventory.dataReadAt.toISOString()}` : '';
  if (state.status === 'failed' && state.errorCode) {
    return {
      code: state.errorCode,
      message: `Its latest scan failed with ${state.errorCode}; ${latest || 'no scan of it has completed yet'}`,
    };
  }
  if (inventory) {
    return { code: 'INVENTORY_NOT_FRESH', message: `Not fresh enough for max_age_seconds: ${latest}` };
  }
  return { code: 'NOT_YET_SCANNED', message: 'Its first scan is still running' };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** As a live answer orders root keys: oldest first, then by account and slot. */
function oldestRootFirst(a: PolicyRootKey, b: PolicyRootKey): number {
  return a.createdDate.getTime() - b.createdDate.getTime() || byText(a.accountId, b.accountId) || a.slot - b.slot;
}

/** A stored tag exemption back to its shape; one the store holds in another shape is ignored, never trusted. */
function parseExemption(raw: unknown): Exemption | null {
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  const e = raw as Record<string, unknown>;
  const expiresAt = typeof e.expiresAt === 'string' ? new Date(e.expiresAt) : null;
  if (!expiresAt || Number.isNaN(expiresAt.getTime()) || typeof e.reason !== 'string' || typeof e.match !== 'object') {
    return null;
  }
  return { ...(e as unknown as Exemption), expiresAt };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
