import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScanSource } from '@app/iam';
import type { EmulatorCounters } from '@app/iam-emulator';
import type { StartedOrganization } from '../emulator-protocol';
import { fixed, int, mb, pct, sec } from '../markdown';
import { checkKeys, keysOk, median, type KeyCheck } from '../measure';
import { apiMemoryLimitMiB, podOldSpaceMb } from '../../pod-heap';
import { EVERY_KEY, type OrganizationRunMode, type Parts } from '../organization-runs';
import { ScanWorker } from '../scan-worker.client';
import { describeError, wholeSecondNow, type BenchContext, type Run, type SectionOutcome } from '../section';

export interface OrganizationSizes {
  /** Accounts with `smallUsers` users each, the management account included. */
  smallAccounts: number;
  smallUsers: number;
  largeAccounts: number;
  largeUsers: number;
  latencyMs: [number, number];
  ratePerSecond: number;
  burst: number;
  reportDelayMs: number;
}

const ACCOUNT_CONCURRENCY = 8;
const TARGET_OVER_FLOOR = 0.25;
const RSS_LIMIT = 400 * 1024 * 1024;
/**
 * How far an account's own scan time may move when another account is denied. A large account's time is its rate
 * floor, so it is compared alone; a small account's is mostly its first throttle's jittered SDK backoff, so the
 * small ones are compared as a distribution (median and 90th percentile).
 */
const LARGE_SLACK = { ratio: 0.1, ms: 1_000 };
const SMALL_SLACK = { ratio: 0.2, ms: 300 };

interface RunSummary {
  name: string;
  source: ScanSource;
  run: Run<Parts>;
  byAccount: Record<string, EmulatorCounters>;
  /** Keys compared per account with the emulator's answer; `lostAccounts` lists accounts not exact. */
  check: KeyCheck;
  inexactAccounts: string[];
  /** Accounts expected to fail (AssumeRole denied): not compared, but they must show as failed. */
  expectedFailed: string[];
  floor: Floor;
}

interface Floor {
  /** The slowest account's own floor at its rate limit (and the report's build time). */
  accountMs: number;
  slowestAccount: string;
  /** Total useful IAM calls × measured CPU per call (bench and emulator processes) / cores. */
  cpuMs: number;
  cpuPerCallMs: number;
  usefulCalls: number;
  floorMs: number;
}

const usefulIamCalls = (c: EmulatorCounters): number =>
  c.totalIamRequests - Object.values(c.throttled).reduce((a, b) => a + b, 0);

class DeadlineError extends Error {}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${sec(ms)}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** One run in its worker, with the emulator's counters and CPU around it: the bench side of `timed` for a child. */
async function timedInWorker(ctx: BenchContext, worker: ScanWorker, capMs: number): Promise<Run<Parts>> {
  await ctx.worker.request({ op: 'resetCounters' });
  const emulatorCpuBefore = await ctx.worker.request({ op: 'cpuUsage' });
  const beforeMs = Date.now();
  const startedAt = performance.now();
  let done: Awaited<ReturnType<ScanWorker['run']>> | undefined;
  let error: unknown;
  try {
    done = await withDeadline(worker.run(), capMs);
    if (done.error !== undefined) {
      error = new Error(done.error);
    }
  } catch (err) {
    error = err;
  }
  const wallMs = done?.wallMs ?? performance.now() - startedAt;
  const afterMs = Date.now();
  const emulatorCpu = await ctx.worker.request({ op: 'cpuUsage' });
  const counters = await ctx.worker.request({ op: 'counters' });
  return {
    value: done?.parts ? new Map(done.parts) : undefined,
    error,
    wallMs,
    beforeMs,
    afterMs,
    peakRss: done?.peakRss ?? NaN,
    peakHeapUsed: done?.peakHeapUsed,
    cpuShare: (done?.cpuMs ?? 0) / wallMs,
    emulatorCpuShare:
      (emulatorCpu.user - emulatorCpuBefore.user + emulatorCpu.system - emulatorCpuBefore.system) / 1000 / wallMs,
    counters,
    meanLatencyMs: done?.meanLatencyMs ?? NaN,
    attempts: { ...(done?.attempts ?? { ok: 0, throttled: 0, errors: 0 }), okAt: [] },
    startedAt,
  };
}

/**
 * An organization of many small accounts and a few large ones, every account behind its own IAM rate
 * limit, scanned whole through OrganizationScanService (real ListAccounts, AssumeRole and SDK over
 * loopback): list-users and credential report against the floor, against a loop over the accounts, and
 * again with one account's AssumeRole denied.
 */
export async function organizationScan(ctx: BenchContext, sizes: OrganizationSizes): Promise<SectionOutcome> {
  const outcome: SectionOutcome = { tables: [], targets: [], failures: [] };
  const { ratePerSecond, burst } = sizes;
  const org = await ctx.worker.request({
    op: 'startOrganization',
    setup: {
      seed: 505,
      smallAccounts: sizes.smallAccounts,
      smallUsers: sizes.smallUsers,
      largeAccounts: sizes.largeAccounts,
      largeUsers: sizes.largeUsers,
      nowMs: wholeSecondNow(),
      latencyMs: sizes.latencyMs,
      rateLimit: { ratePerSecond, burst },
      reportDelayMs: sizes.reportDelayMs,
    },
  });
  const totalUsers = org.accounts.reduce((n, a) => n + a.users, 0);
  const largest = org.accounts.reduce((a, b) => (b.users > a.users ? b : a));
  // Four times the rate floor (the largest account's, or every account's one after another for the loop), plus a
  // minute: a slower run is reported, not waited for forever.
  const rateFloorMs = (users: number) => ((users + 10) / ratePerSecond) * 1000;
  const capMs = 4 * rateFloorMs(largest.users) + 60_000;
  const loopCapMs = 4 * org.accounts.reduce((n, a) => n + rateFloorMs(a.users), 0) + 60_000;
  const env = {
    ACCOUNTS_SOURCE: 'organizations',
    ACCOUNT_ROLE_NAME: org.memberRoleName,
    ACCOUNT_CONCURRENCY: String(ACCOUNT_CONCURRENCY),
    // Every run reads IAM: nothing is served from an earlier run's cache.
    SCAN_CACHE_TTL_SECONDS: '0',
    SCAN_MAX_DURATION_MS: String(Math.min(3_600_000, capMs)),
    REPORT_POLL_INTERVAL_MS: '100',
  };
  // A member in the middle of the small ones, so accounts are scanned before and after it.
  const denied = org.accounts.filter((a) => !a.large && a.accountId !== org.managementAccountId)[
    Math.floor((sizes.smallAccounts - 1) / 2)
  ].accountId;

  const runs: RunSummary[] = [];
  const measure = async (
    name: string,
    source: ScanSource,
    mode: OrganizationRunMode,
    { deniedAccounts = [], runCapMs = capMs }: { deniedAccounts?: string[]; runCapMs?: number } = {},
  ): Promise<RunSummary> => {
    // A process of its own each time, as the API or a scan Job: clients, STS sessions, learnt paces and the heap
    // start afresh, and its peak RSS is the scanner's alone.
    const worker = await ScanWorker.start({ endpoint: org.url, env, mode, source });
    try {
      await ctx.worker.request({ op: 'denyAssumeRole', accountIds: deniedAccounts });
      await sleep((burst / ratePerSecond) * 1000 + 200); // every bucket full again
      ctx.progress(`organization: ${name}`);
      const run = await timedInWorker(ctx, worker, runCapMs);
      const byAccount = await ctx.worker.request({ op: 'countersByAccount' });
      const summary = await summarize(ctx, org, sizes, name, source, run, byAccount, deniedAccounts);
      runs.push(summary);
      return summary;
    } finally {
      await ctx.worker.request({ op: 'denyAssumeRole', accountIds: [] });
      await worker.stop();
    }
  };

  const listUsers = await measure('list-users, whole organization', 'list-users', 'organization');
  const report = await measure('credential report, whole organization', 'credential-report', 'organization');
  const loop = await measure('list-users, a loop over the accounts', 'list-users', 'loop', { runCapMs: loopCapMs });
  const withDenial = await measure(
    `list-users, whole organization, AssumeRole denied for ${denied}`,
    'list-users',
    'organization',
    { deniedAccounts: [denied] },
  );

  for (const summary of runs) {
    const { run } = summary;
    if (run.error) {
      outcome.failures.push(`organization ${summary.name} failed: ${describeError(run.error)}`);
    } else if (summary.inexactAccounts.length > 0) {
      outcome.failures.push(
        `organization ${summary.name}: ${summary.inexactAccounts.length} accounts not exact ` +
          `(${summary.inexactAccounts.slice(0, 5).join(', ')}…), lost ${summary.check.lost} keys, ${summary.check.extra} unexpected`,
      );
    }
  }

  const cores = os.availableParallelism();
  outcome.tables.push({
    title: 'Organization: every account, each behind its own rate limit',
    note:
      `${int(org.accounts.length)} accounts (${sizes.smallAccounts} with ${int(sizes.smallUsers)} users, the management account ` +
      `among them, and ${sizes.largeAccounts} with ${int(sizes.largeUsers)} users; ${int(totalUsers)} users in all), ` +
      `listed by Organizations ListAccounts and reached through STS AssumeRole (the management account with its own credentials). ` +
      `Every account has its own IAM token bucket: ${ratePerSecond} calls/s, burst ${burst}; ` +
      `${sizes.latencyMs[0]}–${sizes.latencyMs[1]} ms per call; a credential report takes ${sizes.reportDelayMs} ms to build. ` +
      `The large accounts are listed right after the management account, so a first scan, which takes accounts in list order, starts them first. ` +
      `ACCOUNT_CONCURRENCY ${ACCOUNT_CONCURRENCY}, IAM_CONCURRENCY per account at its default, SCAN_CACHE_TTL_SECONDS=0 so each run reads IAM. ` +
      `Each run is a process of its own that builds IamModule (new clients, STS sessions, paces and heap), as the API or a scan Job; ` +
      `peak RSS and heap are that process's (Node, Nest, swc's TypeScript compiler, the SDK clients and the scan), sampled every 20 ms; ` +
      `its heap limit is the one Node sets itself in the API's pod (--max-old-space-size=${podOldSpaceMb(apiMemoryLimitMiB())}: ` +
      `half the Deployment's ${apiMemoryLimitMiB()} MiB memory limit, checked in the image by the container test), not this machine's default. ` +
      `Floor = the larger of the slowest account's own floor ((useful IAM calls − burst) / rate, plus the report's build time) ` +
      `and the CPU floor (useful IAM calls × CPU per call, bench and emulator processes, measured in the run / ${cores} cores). ` +
      `The loop scans the accounts one after another with the same per-account clients and OldKeysService. ` +
      `Useful calls/s per account = that account's unthrottled IAM calls / its own scan time (stats.durationMs). ` +
      `Account-slot bound = the accounts' own scan times summed / ACCOUNT_CONCURRENCY: the wall time the scan cannot beat ` +
      `with the per-account times it got (not a floor: it is measured). Keys are compared exactly, account by account.`,
    headers: [
      'run',
      'wall time',
      'floor',
      'over the floor',
      'CPU floor (per call)',
      'account-slot bound',
      'useful IAM calls',
      'throttled',
      'large accounts: useful calls/s',
      'small accounts: median useful calls/s, own time',
      'small accounts: own time p90 / max, sum',
      'peak RSS (heap in use)',
      'accounts ok / failed',
      'keys returned / expected',
    ],
    rows: runs.map((s) => {
      const rates = ratesOf(s, org);
      const parts = s.run.value;
      const statuses = parts ? [...parts.values()] : [];
      return [
        s.name,
        sec(s.run.wallMs),
        `${sec(s.floor.floorMs)} (${s.floor.floorMs === s.floor.cpuMs ? 'CPU' : `account ${s.floor.slowestAccount}`})`,
        pct(s.run.wallMs / s.floor.floorMs - 1, 1),
        `${sec(s.floor.cpuMs)} (${fixed(s.floor.cpuPerCallMs)} ms)`,
        sec(slotBoundMs(s)),
        int(s.floor.usefulCalls),
        int(Object.values(s.byAccount).reduce((n, c) => n + (c.totalIamRequests - usefulIamCalls(c)), 0)),
        rates.large.length ? rates.large.map((r) => fixed(r, 1)).join(', ') : 'n/a',
        rates.small.length ? `${fixed(median(rates.small), 1)}, ${sec(median(rates.smallMs))}` : 'n/a',
        rates.smallMs.length
          ? `${sec(percentile(rates.smallMs, 0.9))} / ${sec(Math.max(...rates.smallMs))}, ${sec(rates.smallMs.reduce((a, b) => a + b, 0))}`
          : 'n/a',
        `${mb(s.run.peakRss)} (${s.run.peakHeapUsed === undefined ? 'n/a' : mb(s.run.peakHeapUsed)})`,
        `${statuses.filter((p) => p.status === 'ok').length} / ${statuses.filter((p) => p.status === 'failed').length}`,
        s.run.error ? `failed: ${describeError(s.run.error)}` : checkCell(s),
      ];
    }),
  });

  const comparison = compareDurations(listUsers, withDenial, denied, org);
  outcome.tables.push({
    title: 'Organization: one account denied',
    note:
      `The same list-users scan with AssumeRole refused for ${denied}, compared with the run without the denial: ` +
      `each large account's own scan time (stats.durationMs; unchanged within ${pct(LARGE_SLACK.ratio)} or ` +
      `${LARGE_SLACK.ms} ms, the larger), and the small accounts' median and 90th percentile (within ` +
      `${pct(SMALL_SLACK.ratio)} or ${SMALL_SLACK.ms} ms): a small account's time is mostly the jittered SDK backoff ` +
      `after its first throttle, which differs from run to run whatever the other accounts do.`,
    headers: [
      'denied account',
      'other accounts exact',
      'wall time without / with',
      'large accounts without / with',
      'small accounts median without / with',
      'small accounts p90 without / with',
      'unchanged',
    ],
    rows: [
      [
        `${denied}: ${withDenial.run.value?.get(denied)?.status ?? 'n/a'} ${withDenial.run.value?.get(denied)?.code ?? ''}`.trim(),
        withDenial.inexactAccounts.length === 0 && !withDenial.run.error
          ? 'yes'
          : `no (${withDenial.inexactAccounts.length})`,
        `${sec(listUsers.run.wallMs)} / ${sec(withDenial.run.wallMs)}`,
        comparison.large.map((c) => `${sec(c.withoutMs)} / ${sec(c.withMs)}`).join(', ') || 'n/a',
        `${sec(comparison.small.median.withoutMs)} / ${sec(comparison.small.median.withMs)}`,
        `${sec(comparison.small.p90.withoutMs)} / ${sec(comparison.small.p90.withMs)}`,
        comparison.unchanged ? 'yes' : `no: ${comparison.changed.join('; ')}`,
      ],
    ],
  });

  const ratio = (s: RunSummary) =>
    `${sec(s.run.wallMs)} vs floor ${sec(s.floor.floorMs)} (${pct(s.run.wallMs / s.floor.floorMs - 1, 1)} over)`;
  const withinFloor = (s: RunSummary) => !s.run.error && s.run.wallMs <= (1 + TARGET_OVER_FLOOR) * s.floor.floorMs;
  const peakRss = Math.max(...runs.map((s) => s.run.peakRss));
  const lost = runs.reduce((n, s) => n + s.check.lost + s.check.extra, 0);
  const deniedPart = withDenial.run.value?.get(denied);
  outcome.targets.push(
    {
      target: 'Organization list-users scan within 25% of the floor',
      measured: ratio(listUsers),
      met: withinFloor(listUsers),
    },
    {
      target: 'Organization credential-report scan within 25% of the floor',
      measured: ratio(report),
      met: withinFloor(report),
    },
    {
      target: 'Organization scan faster than a loop over the accounts',
      measured: `${fixed(loop.run.wallMs / listUsers.run.wallMs)}× (${sec(loop.run.wallMs)} vs ${sec(listUsers.run.wallMs)})`,
      met: !loop.run.error && !listUsers.run.error && listUsers.run.wallMs < loop.run.wallMs,
    },
    {
      target: 'Organization scans: peak RSS under 400 MB',
      measured: runs.map((s) => mb(s.run.peakRss)).join(', '),
      met: peakRss < RSS_LIMIT,
    },
    {
      target: 'Organization scans: zero keys lost, every account exact',
      measured: `${int(lost)} keys lost or unexpected over ${runs.length} runs, ${runs.reduce((n, s) => n + s.inexactAccounts.length, 0)} accounts not exact`,
      met: runs.every((s) => !s.run.error && s.inexactAccounts.length === 0),
    },
    {
      target: "AssumeRole denied for one account: the other accounts' answers exact and their times unchanged",
      measured:
        `${denied} ${deniedPart?.status ?? 'missing'}; others ${withDenial.inexactAccounts.length === 0 ? 'exact' : 'NOT exact'}; ` +
        (comparison.unchanged ? 'times unchanged' : `changed: ${comparison.changed.join('; ')}`),
      met:
        !withDenial.run.error &&
        deniedPart?.status === 'failed' &&
        withDenial.inexactAccounts.length === 0 &&
        comparison.unchanged,
    },
  );
  if (deniedPart?.status !== 'failed' && !withDenial.run.error) {
    outcome.failures.push(`organization: ${denied} had AssumeRole denied but is ${deniedPart?.status ?? 'missing'}`);
  }
  return outcome;
}

async function summarize(
  ctx: BenchContext,
  org: StartedOrganization,
  sizes: OrganizationSizes,
  name: string,
  source: ScanSource,
  run: Run<Parts>,
  byAccount: Record<string, EmulatorCounters>,
  expectedFailed: string[],
): Promise<RunSummary> {
  const [required, allowed] = await Promise.all([
    ctx.worker.request({ op: 'expectedOldKeysByAccount', ...EVERY_KEY, nowMs: run.beforeMs }),
    ctx.worker.request({ op: 'expectedOldKeysByAccount', ...EVERY_KEY, nowMs: run.afterMs }),
  ]);
  const check: KeyCheck = { expected: 0, returned: 0, lost: 0, extra: 0 };
  const inexactAccounts: string[] = [];
  for (const [accountId, keys] of Object.entries(required)) {
    if (expectedFailed.includes(accountId)) {
      continue;
    }
    const part = run.value?.get(accountId);
    const one = checkKeys(part?.status === 'ok' ? part.keys : [], keys, allowed[accountId]);
    check.expected += one.expected;
    check.returned += one.returned;
    check.lost += one.lost;
    check.extra += one.extra;
    if (part?.status !== 'ok' || !keysOk(one)) {
      inexactAccounts.push(accountId);
    }
  }

  let accountMs = 0;
  let slowestAccount = 'n/a';
  let usefulCalls = 0;
  for (const account of org.accounts) {
    const counters = byAccount[account.accountId];
    if (!counters) {
      continue;
    }
    const useful = usefulIamCalls(counters);
    usefulCalls += useful;
    const reportMs = source === 'credential-report' && useful > 0 ? sizes.reportDelayMs : 0;
    const own = (Math.max(0, useful - sizes.burst) / sizes.ratePerSecond) * 1000 + reportMs;
    if (own > accountMs) {
      accountMs = own;
      slowestAccount = account.accountId;
    }
  }
  const cpuMs = (run.cpuShare + run.emulatorCpuShare) * run.wallMs;
  const cpuPerCallMs = usefulCalls > 0 ? cpuMs / usefulCalls : NaN;
  const cpuFloorMs = cpuMs / os.availableParallelism();
  return {
    name,
    source,
    run,
    byAccount,
    check,
    inexactAccounts,
    expectedFailed,
    floor: {
      accountMs,
      slowestAccount,
      cpuMs: cpuFloorMs,
      cpuPerCallMs,
      usefulCalls,
      floorMs: Math.max(accountMs, cpuFloorMs),
    },
  };
}

/** Useful calls per second of each account over its own scan time: the large ones listed, the small ones as a median. */
function ratesOf(s: RunSummary, org: StartedOrganization): { large: number[]; small: number[]; smallMs: number[] } {
  const large: number[] = [];
  const small: number[] = [];
  const smallMs: number[] = [];
  for (const account of org.accounts) {
    const part = s.run.value?.get(account.accountId);
    const counters = s.byAccount[account.accountId];
    if (part?.status !== 'ok' || !part.durationMs || !counters) {
      continue;
    }
    (account.large ? large : small).push(usefulIamCalls(counters) / (part.durationMs / 1000));
    if (!account.large) {
      smallMs.push(part.durationMs);
    }
  }
  return { large, small, smallMs };
}

function slotBoundMs(s: RunSummary): number {
  let sum = 0;
  for (const part of s.run.value?.values() ?? []) {
    sum += part.durationMs ?? 0;
  }
  return sum / ACCOUNT_CONCURRENCY;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : NaN;
}

const within = (slack: { ratio: number; ms: number }, withoutMs: number, withMs: number): boolean =>
  Number.isFinite(withoutMs) &&
  Number.isFinite(withMs) &&
  Math.abs(withMs - withoutMs) <= Math.max(slack.ms, slack.ratio * withoutMs);

interface Pair {
  withoutMs: number;
  withMs: number;
}

function compareDurations(
  base: RunSummary,
  other: RunSummary,
  denied: string,
  org: StartedOrganization,
): {
  large: (Pair & { accountId: string })[];
  small: { median: Pair; p90: Pair };
  changed: string[];
  unchanged: boolean;
} {
  const large: (Pair & { accountId: string })[] = [];
  const smallWithout: number[] = [];
  const smallWith: number[] = [];
  for (const account of org.accounts) {
    const withoutMs = base.run.value?.get(account.accountId)?.durationMs;
    const withMs = other.run.value?.get(account.accountId)?.durationMs;
    if (account.accountId === denied || withoutMs === undefined || withMs === undefined) {
      continue;
    }
    if (account.large) {
      large.push({ accountId: account.accountId, withoutMs, withMs });
    } else {
      smallWithout.push(withoutMs);
      smallWith.push(withMs);
    }
  }
  const small = {
    median: { withoutMs: median(smallWithout), withMs: median(smallWith) },
    p90: { withoutMs: percentile(smallWithout, 0.9), withMs: percentile(smallWith, 0.9) },
  };
  const changed = [
    ...large
      .filter((p) => !within(LARGE_SLACK, p.withoutMs, p.withMs))
      .map((p) => `${p.accountId} ${sec(p.withoutMs)} → ${sec(p.withMs)}`),
    ...(within(SMALL_SLACK, small.median.withoutMs, small.median.withMs) ? [] : ['small accounts median']),
    ...(within(SMALL_SLACK, small.p90.withoutMs, small.p90.withMs) ? [] : ['small accounts p90']),
  ];
  const largeAccounts = org.accounts.filter((a) => a.large).length;
  if (large.length < largeAccounts) {
    changed.push(`${largeAccounts - large.length} large accounts without a time`);
  }
  return { large, small, changed, unchanged: changed.length === 0 && !base.run.error && !other.run.error };
}

function checkCell(s: RunSummary): string {
  const { check } = s;
  const ok = s.inexactAccounts.length === 0;
  const skipped = s.expectedFailed.length ? `, ${s.expectedFailed.length} denied account not compared` : '';
  return ok
    ? `${int(check.returned)} / ${int(check.expected)} ✓${skipped}`
    : `${int(check.returned)} / ${int(check.expected)} ✗ (lost ${check.lost}, extra ${check.extra}, ${s.inexactAccounts.length} accounts)${skipped}`;
}
