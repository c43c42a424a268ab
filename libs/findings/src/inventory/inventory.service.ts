import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  IAM_CLOCK,
  IamClientRegistry,
  IamErrorCode,
  IamException,
  iamConfig,
  OrganizationScanService,
  RequestSlots,
  type AccountAccessKey,
  type AccountOutcome,
  type AccountRootKey,
  type AccountScanPart,
  type Clock,
  type KeyLastUse,
} from '@app/iam';
import { exemptionsChangeAt } from '../exemptions/exemption.matcher';
import { ExemptionsService } from '../exemptions/exemptions.service';
import type { Exemption } from '../exemptions/exemption.types';
import { FindingsService } from '../findings.service';
import { ROOT_USER_NAME, type FindingCode, type KeyFacts } from '../findings.types';
import {
  INVENTORY_OBSERVER,
  type InventoryKey,
  type InventoryObserver,
  type InventoryQuery,
  type InventoryResult,
  type InventoryRootKey,
} from './inventory.types';
import { UserTagsCache } from './user-tags.cache';

/** The digest's and the gauge's horizon for exemptions about to lapse. */
export const EXPIRING_SOON_DAYS = 14;

const NO_LAST_USE: KeyLastUse = { lastUsedDate: null, lastUsedService: null, lastUsedRegion: null };

/** A key as the policy judges it: read now from IAM, or from the store. */
export type PolicyKey = KeyFacts & { accountName?: string; ageHours: number };
export type PolicyRootKey = PolicyKey & { slot: 1 | 2 };

/** One account's part judged under the configured thresholds, as a stored scan keeps it. */
export interface JudgedPart {
  keys: InventoryKey[];
  rootKeys: InventoryRootKey[];
  /** The tag exemption of each of the account's users with findings that has one, by user name. */
  tagExemptions: Map<string, Exemption>;
}

function factsOf(key: AccountAccessKey): PolicyKey {
  return {
    accountId: key.accountId,
    ...(key.accountName !== undefined && { accountName: key.accountName }),
    userName: key.userName,
    accessKeyId: key.accessKeyId,
    status: key.status,
    createdDate: key.createdDate,
    ageHours: key.ageHours,
    ...(key.lastUse ?? NO_LAST_USE),
  };
}

function rootFactsOf(key: AccountRootKey): PolicyRootKey {
  return {
    accountId: key.accountId,
    ...(key.accountName !== undefined && { accountName: key.accountName }),
    userName: ROOT_USER_NAME,
    // The report names root keys by slot only.
    accessKeyId: `${ROOT_USER_NAME}:${key.slot}`,
    status: key.active ? 'Active' : 'Inactive',
    createdDate: key.lastRotated,
    ageHours: key.ageHours,
    slot: key.slot,
    root: true,
    ...(key.lastUse ?? NO_LAST_USE),
  };
}

const userOf = (k: { accountId: string; userName: string }) => JSON.stringify([k.accountId, k.userName]);

/**
 * Every key of every configured account with its last use, findings and exemption: one scan across accounts
 * (with last use), the findings policy, the exemptions file, and user tags read only for users with findings.
 */
@Injectable()
export class InventoryService {
  private readonly logger = new Logger(InventoryService.name);
  private readonly tagsCache: UserTagsCache;

  constructor(
    private readonly scans: OrganizationScanService,
    private readonly registry: IamClientRegistry,
    private readonly findings: FindingsService,
    private readonly exemptions: ExemptionsService,
    @Inject(iamConfig.KEY) private readonly iamSettings: ConfigType<typeof iamConfig>,
    @Inject(IAM_CLOCK) private readonly clock: Clock,
    @Optional() @Inject(INVENTORY_OBSERVER) private readonly observer?: InventoryObserver,
  ) {
    this.tagsCache = new UserTagsCache(iamSettings.scanCacheTtlMs);
  }

  async inventory(query: InventoryQuery): Promise<InventoryResult> {
    const scan = await this.scans.scan(
      query.source,
      { hours: 0, includeInactive: true, lastUse: true },
      { accountIds: query.accountIds },
    );
    const now = this.clock.now();
    const overrides = query.thresholds ?? {};
    const judged = this.findings.evaluate(scan.keys.map(factsOf), now, overrides);
    const tagExemptions = await this.tagExemptions(
      judged.filter((j) => j.findings.length > 0).map((j) => j.key),
      now,
    );
    const result = this.assemble(
      judged,
      scan.rootKeys.map(rootFactsOf),
      (key) => tagExemptions.get(userOf(key)),
      { source: scan.source, accounts: scan.accounts, complete: scan.complete, dataReadAt: scan.dataReadAt },
      query,
      now,
    );
    if (Object.keys(definedOnly(overrides)).length === 0) {
      this.report(result.all, scan.accounts, now, tagExemptions.size, (query.accountIds ?? []).length === 0);
    }
    return result.answer;
  }

  /**
   * One account's part of a scan judged under the configured thresholds, with the tag exemptions of its users
   * that have findings (ListUserTags, as a live inventory reads them), for a scan that keeps its results.
   */
  async judgePart(part: AccountScanPart, now: Date): Promise<JudgedPart> {
    const judged = this.findings.evaluate(part.keys.map(factsOf), now);
    const tags = await this.tagExemptions(
      judged.filter((j) => j.findings.length > 0).map((j) => j.key),
      now,
    );
    const keys = judged.map(({ key, findings }) => {
      const outcome = this.exemptions.resolve(key, findings, now, tags.get(userOf(key)));
      return { ...key, findings, exemption: outcome.exemption, exempted: outcome.exempted };
    });
    const rootKeys = this.findings
      .evaluate(part.rootKeys.map(rootFactsOf), now)
      .map(({ key, findings }) => ({ ...key, findings }));
    const byUser = new Map<string, Exemption>();
    for (const key of keys) {
      const tag = tags.get(userOf(key));
      if (tag) {
        byUser.set(key.userName, tag);
      }
    }
    return { keys, rootKeys, tagExemptions: byUser };
  }

  /**
   * Keys read from the store, judged now under the query's thresholds, without calling IAM: the exemptions file
   * as it stands, and the tag exemptions the scan read (for the users that had findings under the configured
   * thresholds; a request lowering them sees no tag exemption for the other users).
   */
  judgeStored(
    input: {
      keys: readonly PolicyKey[];
      rootKeys: readonly PolicyRootKey[];
      tagExemption: (key: KeyFacts) => Exemption | undefined;
      accounts: AccountOutcome[];
      complete: boolean;
      source: InventoryResult['source'];
      dataReadAt?: Date;
    },
    query: Omit<InventoryQuery, 'source' | 'accountIds'>,
    now: Date,
  ): InventoryResult & { judgedUntilMs: number } {
    const overrides = query.thresholds ?? {};
    const judged = this.findings.evaluate(input.keys, now, overrides);
    const { answer, all } = this.assemble(judged, input.rootKeys, input.tagExemption, input, query, now);
    // Until a threshold is crossed or an exemption that could apply lapses, every judgment above holds.
    const exemptions = new Set(this.exemptions.declared);
    for (const key of all) {
      const tag = input.tagExemption(key);
      if (tag) {
        exemptions.add(tag);
      }
    }
    const judgedUntilMs = Math.min(
      this.findings.changeAt(input.keys, now, overrides),
      this.findings.changeAt(input.rootKeys, now, overrides),
      exemptionsChangeAt(exemptions, now),
    );
    return { ...answer, judgedUntilMs };
  }

  /** Findings gauges after a scan that kept every account's part (the stored inventory's own report). */
  observeScan(keys: readonly InventoryKey[], accounts: AccountOutcome[], now: Date, tagExemptions: number): void {
    this.report(keys, accounts, now, tagExemptions, true);
  }

  private assemble(
    judged: ReadonlyArray<{ key: PolicyKey; findings: FindingCode[] }>,
    roots: readonly PolicyRootKey[],
    tagExemption: (key: KeyFacts) => Exemption | undefined,
    scan: Pick<InventoryResult, 'source' | 'accounts' | 'complete' | 'dataReadAt'>,
    query: Omit<InventoryQuery, 'source' | 'accountIds'>,
    now: Date,
  ): { answer: InventoryResult; all: InventoryKey[] } {
    const overrides = query.thresholds ?? {};
    const thresholds = { ...this.findings.thresholds, ...definedOnly(overrides) };
    const all: InventoryKey[] = judged.map(({ key, findings }) => {
      const outcome = this.exemptions.resolve(key, findings, now, tagExemption(key));
      return { ...key, findings, exemption: outcome.exemption, exempted: outcome.exempted };
    });
    const rootKeys: InventoryRootKey[] = this.findings
      .evaluate(roots, now, overrides)
      .map(({ key, findings }) => ({ ...key, findings }));
    const wanted = query.findings && query.findings.length > 0 ? new Set(query.findings) : undefined;
    const filtered = all.filter(
      (k) =>
        (query.status === undefined || k.status === query.status) &&
        (wanted === undefined || k.findings.some((f) => wanted.has(f))),
    );
    const keys = query.includeExempted ? filtered : filtered.filter((k) => !k.exempted);
    return {
      all,
      answer: {
        source: scan.source,
        keys,
        rootKeys,
        exemptedCount: filtered.length - keys.length,
        accounts: scan.accounts,
        complete: scan.complete,
        ...(scan.dataReadAt && { dataReadAt: scan.dataReadAt }),
        thresholds,
      },
    };
  }

  /**
   * The tag exemption of each user with findings (ListUserTags, per account, IAM_CONCURRENCY at once, reused for
   * SCAN_CACHE_TTL_SECONDS). A user whose tags cannot be read has none: the owner still hears about the key, and
   * the log says why.
   */
  private async tagExemptions(keys: readonly KeyFacts[], now: Date): Promise<Map<string, Exemption>> {
    const users = new Map<string, { accountId: string; userName: string }>();
    for (const key of keys) {
      users.set(userOf(key), { accountId: key.accountId, userName: key.userName });
    }
    const found = new Map<string, Exemption>();
    const slotsByAccount = new Map<string, RequestSlots>();
    let failures = 0;
    await Promise.all(
      [...users.entries()].map(([id, user]) => {
        const iam = this.registry.get(user.accountId);
        if (!iam) {
          return Promise.resolve();
        }
        let slots = slotsByAccount.get(user.accountId);
        if (!slots) {
          slots = new RequestSlots(this.iamSettings.concurrency);
          slotsByAccount.set(user.accountId, slots);
        }
        const own = slots;
        return own.run(async () => {
          try {
            const tags = await this.tagsCache.read(id, now.getTime(), () => iam.listUserTags(user.userName, own));
            const { exemption, problem } = this.exemptions.fromTags({ ...user, tags, now });
            if (exemption) {
              found.set(id, exemption);
            } else if (problem) {
              this.logger.warn({ accountId: user.accountId }, problem);
            }
          } catch (err) {
            if (!(err instanceof IamException && err.code === IamErrorCode.NoSuchEntity)) {
              failures++;
              this.logger.warn(
                { accountId: user.accountId, code: err instanceof IamException ? err.code : 'INTERNAL_ERROR' },
                `ListUserTags failed for ${user.userName}: no tag exemption for that user`,
              );
            }
          }
        });
      }),
    );
    if (failures > 0) {
      this.logger.warn({ failures }, 'some users\u2019 tags could not be read; their keys are not tag-exempted');
    }
    return found;
  }

  /** Findings per account and code, and the exemptions gauges; stale entries only on a scan of every account. */
  private report(
    keys: readonly InventoryKey[],
    accounts: InventoryResult['accounts'],
    now: Date,
    tagExemptions: number,
    everyAccount: boolean,
  ): void {
    const counts = new Map<string, Record<FindingCode, number>>();
    for (const account of accounts) {
      if (account.status === 'ok') {
        counts.set(account.accountId, { old: 0, unused: 0, never_used: 0, two_active: 0 });
      }
    }
    for (const key of keys) {
      const row = counts.get(key.accountId);
      for (const code of key.findings) {
        if (row) {
          row[code]++;
        }
      }
    }
    let unmatched: Exemption[] = [];
    if (everyAccount) {
      const scanned = new Set(accounts.flatMap((a) => (a.status === 'ok' ? [a.accountId] : [])));
      unmatched = this.exemptions.stale(
        keys.map((key) => ({ key, findings: key.findings })),
        now,
        scanned,
      );
      for (const e of unmatched) {
        this.logger.warn(
          { exemption: { line: e.line ?? null, match: e.match, expiresAt: e.expiresAt.toISOString() } },
          'exemption matched no finding of any key in this scan: remove it, or it will cover a future key',
        );
      }
    }
    const declared = this.exemptions.declared;
    const active = declared.filter((e) => now.getTime() < e.expiresAt.getTime()).length;
    this.observer?.inventoryFinished(counts, {
      active: active + tagExemptions,
      expiringWithin14Days: this.exemptions.expiringWithin(EXPIRING_SOON_DAYS, now).length,
      expired: declared.length - active,
      ...(everyAccount && { unmatched: unmatched.length }),
    });
  }
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
