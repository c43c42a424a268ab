import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AccountDirectory, type AccountPlan } from '@app/accounts';
import { type InventoryKey, InventoryService, ROOT_USER_NAME } from '@app/findings';
import {
  IAM_CLOCK,
  accountsNotConfigured,
  OrganizationScanService,
  type AccountScanPart,
  type Clock,
  type ScanSource,
} from '@app/iam';
import {
  LeaseRepository,
  ScansRepository,
  type KeyObservation,
  type ScanStatus,
  type ScanTrigger,
  type StoredFindingCode,
} from '@app/store';
import { scansConfig, type Shard } from '../config/scans.config';
import { inShard, shardLabel } from '../shard/account-shard';
import { INVENTORY_SCAN_OBSERVER, type InventoryScanObserver } from './inventory-scan.observer';

export interface ScanOutcome {
  scanId: number;
  status: ScanStatus;
  accountsOk: number;
  accountsFailed: number;
  accountsSkipped: number;
  keys: number;
}

export interface StartedScan {
  scanId: number;
  /** A scan already running (here or in another process) was joined rather than a second one started. */
  joined: boolean;
  /** Settles when the scan ends; a joined scan of another process is followed through the store. */
  done: Promise<ScanOutcome | null>;
}

export interface ScanRequest {
  trigger: ScanTrigger;
  source?: ScanSource;
  /** Narrow the scan to these configured accounts (all of the shard by default). */
  accountIds?: readonly string[];
}

interface Running {
  scanId: number;
  done: Promise<ScanOutcome | null>;
}

const FOLLOW_POLL_MS = 500;
const SHUTDOWN_WAIT_MS = 5_000;

export const scanLeaseName = (shard: string) => `scan:${shard}`;

/**
 * Leases run on the wall clock, whatever clock the scan reads: they say whether a process is alive.
 *
 * Scans every account (of this process's shard) and keeps each account's part in the store as soon as it is
 * complete: keys, findings and tag exemptions in one transaction per account, so readers see whole accounts.
 * One scan per shard at a time across every process: the runner holds the shard's lease while it scans,
 * renewing it, and a second request joins the running scan instead of starting another. A scan whose runner
 * died (its lease lapsed) is ended by the next one, what it recorded kept.
 */
@Injectable()
export class InventoryScanRunner implements OnApplicationShutdown {
  private readonly logger = new Logger(InventoryScanRunner.name);
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running?: Running;
  private starting?: Promise<StartedScan>;
  private closed = false;

  constructor(
    private readonly directory: AccountDirectory,
    private readonly organization: OrganizationScanService,
    private readonly inventory: InventoryService,
    private readonly scans: ScansRepository,
    private readonly leases: LeaseRepository,
    @Inject(scansConfig.KEY) private readonly config: ConfigType<typeof scansConfig>,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
    @Optional() @Inject(INVENTORY_SCAN_OBSERVER) private readonly observer?: InventoryScanObserver,
  ) {}

  get shard(): Shard | undefined {
    return this.config.shard;
  }

  /** The scan this process runs now, if any. */
  get current(): number | undefined {
    return this.running?.scanId;
  }

  /** Starts a scan, or joins the one running; resolves once the scan has its id, long before it ends. */
  async start(request: ScanRequest): Promise<StartedScan> {
    if (this.running) {
      return { scanId: this.running.scanId, joined: true, done: this.running.done };
    }
    // Two requests in the same tick share one start.
    this.starting ??= this.begin(request).finally(() => {
      this.starting = undefined;
    });
    const started = await this.starting;
    return started;
  }

  /**
   * A scan still running at shutdown gets a moment to record the part in hand; then it is left: its lease
   * lapses and the next runner ends it, keeping every account it recorded.
   */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const running = this.running?.done.catch(() => undefined);
    if (running) {
      await Promise.race([running, sleep(SHUTDOWN_WAIT_MS)]);
    }
  }

  private async begin(request: ScanRequest): Promise<StartedScan> {
    const shard = shardLabel(this.config.shard);
    const lease = scanLeaseName(shard);
    if (!(await this.leases.acquire(lease, this.holder, this.config.leaseMs, new Date()))) {
      return this.joinOther(shard);
    }
    let scanId: number;
    let plan: AccountPlan;
    try {
      const abandoned = await this.scans.abandon(shard, this.clock.now());
      if (abandoned.length > 0) {
        this.logger.warn({ scans: abandoned, shard }, 'ended scans whose runner stopped before finishing them');
      }
      plan = narrow(await this.directory.resolve(), this.config.shard, request.accountIds);
      scanId = await this.scans.start({
        source: request.source ?? this.config.source,
        trigger: request.trigger,
        shard,
        accounts: [...plan.accounts, ...plan.skipped].map((a) => ({ accountId: a.accountId, name: a.accountName })),
        startedAt: this.clock.now(),
      });
    } catch (err) {
      await this.leases.release(lease, this.holder).catch(() => undefined);
      throw err;
    }
    const done = this.run(scanId, request.source ?? this.config.source, request.trigger, plan, lease).finally(() => {
      this.running = undefined;
    });
    this.running = { scanId, done };
    return { scanId, joined: false, done };
  }

  /** Another process holds the shard's lease: its running scan is this request's scan too. */
  private async joinOther(shard: string): Promise<StartedScan> {
    const deadline = Date.now() + this.config.leaseMs;
    for (;;) {
      const [scanId] = (await this.scans.running(shard)).slice(-1);
      if (scanId !== undefined) {
        return { scanId, joined: true, done: this.follow(scanId, scanLeaseName(shard)) };
      }
      if (Date.now() > deadline) {
        throw new Error(`Another process holds ${scanLeaseName(shard)} but runs no scan`);
      }
      await sleep(FOLLOW_POLL_MS);
    }
  }

  /** Polls a scan another process runs; null when it ends unfinished (its runner died: the lease lapsed). */
  private async follow(scanId: number, lease: string): Promise<ScanOutcome | null> {
    while (!this.closed) {
      const view = await this.scans.get(scanId);
      if (!view) {
        return null;
      }
      if (view.status !== 'running') {
        const count = (s: string) => view.accounts.filter((a) => a.status === s).length;
        return {
          scanId,
          status: view.status,
          accountsOk: count('complete'),
          accountsFailed: count('failed'),
          accountsSkipped: count('skipped'),
          keys: view.accounts.reduce((n, a) => n + a.keysSeen, 0),
        };
      }
      if ((await this.leases.holder(lease, new Date())) === null) {
        return null;
      }
      await sleep(FOLLOW_POLL_MS);
    }
    return null;
  }

  private async run(
    scanId: number,
    source: ScanSource,
    trigger: ScanTrigger,
    plan: AccountPlan,
    lease: string,
  ): Promise<ScanOutcome> {
    const started = performance.now();
    const renew = setInterval(() => {
      this.leases.acquire(lease, this.holder, this.config.leaseMs, new Date()).then(
        (held) => {
          if (!held) {
            this.logger.error({ scanId, lease }, 'lost the scan lease to another process: another scan may run too');
          }
        },
        (err: unknown) => this.logger.warn({ scanId, err: describe(err) }, 'could not renew the scan lease'),
      );
    }, this.config.leaseMs / 3);
    renew.unref();
    const judged: InventoryKey[] = [];
    let tagExemptions = 0;
    const recorded: Array<{ accountId: string; dataReadAt: Date }> = [];
    try {
      const now = this.clock.now();
      for (const skipped of plan.skipped) {
        await this.scans.skipAccount(scanId, skipped.accountId, skipped.accountName, skipped.reason, now);
      }
      const recordedDurationsMs = await this.scans.lastDurations(plan.accounts.map((a) => a.accountId));
      const result = await this.organization.scan(
        source,
        { hours: 0, includeInactive: true, lastUse: true },
        {
          plan: { accounts: plan.accounts, skipped: [] },
          recordedDurationsMs,
          onAccount: async (part) => {
            const kept = await this.record(scanId, source, part);
            if (kept && part.outcome.status === 'ok') {
              judged.push(...kept.keys);
              tagExemptions += kept.tagExemptions;
              recorded.push({ accountId: part.outcome.accountId, dataReadAt: part.outcome.dataReadAt });
            }
          },
        },
      );
      const status = await this.scans.finish(scanId, this.clock.now());
      if (status !== 'failed') {
        this.inventory.observeScan(judged, result.accounts, this.clock.now(), tagExemptions);
      }
      const outcome: ScanOutcome = {
        scanId,
        status,
        accountsOk: recorded.length,
        accountsFailed: plan.accounts.length - recorded.length,
        accountsSkipped: plan.skipped.length,
        keys: judged.length,
      };
      this.observer?.inventoryScanFinished({ status, trigger, source, recorded });
      const line = { scan: { ...outcome, source, durationMs: Math.round(performance.now() - started) } };
      if (status === 'complete') {
        this.logger.log(line, 'inventory scan recorded');
      } else {
        this.logger.warn(line, 'inventory scan recorded with failed accounts');
      }
      return outcome;
    } catch (err) {
      this.logger.error({ scanId, err: describe(err) }, 'inventory scan stopped');
      await this.scans.finish(scanId, this.clock.now()).catch(() => undefined);
      throw err;
    } finally {
      clearInterval(renew);
      await this.leases.release(lease, this.holder).catch(() => undefined);
    }
  }

  /** One account's part into the store; a failure is recorded as the account's, never the scan's. */
  private async record(
    scanId: number,
    source: ScanSource,
    part: AccountScanPart,
  ): Promise<{ keys: InventoryKey[]; tagExemptions: number } | null> {
    const { outcome } = part;
    if (outcome.status !== 'ok') {
      const code = outcome.status === 'failed' ? outcome.code : 'SKIPPED';
      await this.scans.failAccount(scanId, outcome.accountId, code, this.clock.now());
      return null;
    }
    const judged = await this.inventory.judgePart(part, this.clock.now());
    const keys: KeyObservation[] = [...judged.keys, ...judged.rootKeys].map((k) => ({
      userName: k.userName,
      accessKeyId: k.accessKeyId,
      status: k.status,
      createdAt: k.createdDate,
      lastUsedAt: k.lastUsedDate,
      lastUsedService: k.lastUsedService,
      lastUsedRegion: k.lastUsedRegion,
    }));
    const findings: Array<{ accessKeyId: string; code: StoredFindingCode }> = [
      ...judged.keys,
      ...judged.rootKeys,
    ].flatMap((k) => k.findings.map((code) => ({ accessKeyId: k.accessKeyId, code })));
    const saved = await this.scans.recordAccount({
      scanId,
      accountId: outcome.accountId,
      accountName: outcome.accountName ?? null,
      readAt: outcome.dataReadAt,
      durationMs: outcome.stats.durationMs,
      keys,
      findings,
      // ListUsers never lists the root user: its keys stay as the latest report saw them.
      ...(source === 'list-users' && { unseenUsers: [ROOT_USER_NAME] }),
      tagExemptions: [...judged.tagExemptions].map(([userName, e]) => ({
        userName,
        exemption: { ...e, expiresAt: e.expiresAt.toISOString() },
      })),
    });
    if (!saved.recorded) {
      this.logger.warn({ scanId, accountId: outcome.accountId }, 'a newer read of this account is recorded already');
      return null;
    }
    return { keys: judged.keys, tagExemptions: judged.tagExemptions.size };
  }
}

/** The shard's accounts, and of those the ones asked for; an id outside the configured accounts is refused. */
function narrow(plan: AccountPlan, shard: Shard | undefined, accountIds?: readonly string[]): AccountPlan {
  const wanted = accountIds && accountIds.length > 0 ? new Set(accountIds) : undefined;
  const known = new Set([...plan.accounts, ...plan.skipped].map((a) => a.accountId));
  const unknown = [...(wanted ?? [])].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw accountsNotConfigured(unknown);
  }
  const keep = (a: { accountId: string }) => inShard(a.accountId, shard) && (!wanted || wanted.has(a.accountId));
  return { accounts: plan.accounts.filter(keep), skipped: plan.skipped.filter(keep) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
