import { setTimeout as sleep } from 'node:timers/promises';
import type { ScanQuery, ScanResult } from '@app/iam';
import { fixed, int, pct, sec } from '../markdown';
import { keysOk } from '../measure';
import { BenchScanner, keyRecordsOf } from '../scanner';
import {
  describeError,
  keysCell,
  throttledTotal,
  timed,
  verify,
  wholeSecondNow,
  type BenchContext,
  type Run,
  type SectionOutcome,
} from '../section';

export interface RateBoundSizes {
  users: number;
  latencyMs: [number, number];
  ratePerSecond: number;
  burst: number;
}

const EVERY_KEY: ScanQuery = { hours: 0, includeInactive: true };
/** The first seconds spend the bucket's burst and find the pace; the steady state is what follows. */
const SETTLE_MS = 10_000;

/**
 * Rate-bound: the emulator's token bucket allows far fewer calls per second than the limiter could
 * send. Useful calls per second (answers that were not throttled) against the limit, what the
 * throttling cost, and whether every key still came back.
 */
export async function rateBound(ctx: BenchContext, sizes: RateBoundSizes): Promise<SectionOutcome> {
  const outcome: SectionOutcome = { tables: [], targets: [], failures: [] };
  const { ratePerSecond, burst } = sizes;
  const started = await ctx.worker.start({
    seed: 303,
    users: sizes.users,
    youngUserFraction: 0,
    latencyMs: sizes.latencyMs,
    rateLimit: { ratePerSecond, burst },
    reportDelayMs: 0,
    nowMs: wholeSecondNow(),
  });
  const scanner = await BenchScanner.create(started.url);
  let run: Run<ScanResult>;
  let concurrency: number;
  // Four times what the limit allows: a slower scan is reported as such instead of holding up the bench.
  const capMs = Math.max(30_000, ((4 * (started.users + 10)) / ratePerSecond) * 1000);
  try {
    concurrency = scanner.config.concurrency;
    // One call only: a JIT warm-up here would spend the bucket and teach any adaptive pacing before the timed run.
    await scanner.warmUp(0);
    await sleep((burst / ratePerSecond) * 1000 + 100); // the warm-up call's token comes back: the bucket starts full
    ctx.progress(
      `rate-bound: list-users scan of ${int(started.users)} users at ${ratePerSecond} calls/s ` +
        `(about ${sec((started.users / ratePerSecond) * 1000)})`,
    );
    run = await timed(ctx, scanner, () => withDeadline(scanner.listUsers(EVERY_KEY), capMs));
  } finally {
    await scanner.close();
  }

  const check = await verify(ctx, run, run.value && keyRecordsOf(run.value), EVERY_KEY);
  const throttled = throttledTotal(run.counters);
  const failedRequests = run.counters.totalErrors - throttled;
  const useful = run.counters.totalIamRequests - run.counters.totalErrors;
  const usefulPerSecond = useful / (run.wallMs / 1000);
  const steadyFrom = run.startedAt + SETTLE_MS;
  const steadyWindowMs = run.startedAt + run.wallMs - steadyFrom;
  const steadyPerSecond =
    steadyWindowMs >= SETTLE_MS
      ? run.attempts.okAt.filter((t) => t >= steadyFrom).length / (steadyWindowMs / 1000)
      : NaN;
  const lost = run.error ? check.expected : check.lost;

  const tooSlow = run.error instanceof DeadlineError;
  if (tooSlow) {
    ctx.progress(`rate-bound: the scan had not finished after ${sec(capMs)}; stopped waiting for it`);
  } else if (run.error) {
    outcome.failures.push(`rate-bound list-users scan failed: ${describeError(run.error)}`);
  } else if (!keysOk(check)) {
    outcome.failures.push(`rate-bound list-users scan: lost ${check.lost} keys, ${check.extra} unexpected`);
  }

  outcome.tables.push({
    title: 'Rate-bound: list-users scan behind a rate limit',
    note:
      `${int(started.users)} users, all older than the threshold: about ${Math.round(started.users / ratePerSecond)} s of sustained ` +
      `throttling (a smaller account than the latency-bound one, which would take ${Math.round(5000 / ratePerSecond)} s at this rate; ` +
      `the steady state is the same), ` +
      `${sizes.latencyMs[0]}–${sizes.latencyMs[1]} ms per call, IAM rate limit ${ratePerSecond} calls/s with a burst of ${burst} ` +
      `(one token bucket for all actions; beyond it IAM answers 400 Throttling), limiter ${concurrency}. ` +
      `Useful calls = IAM answers that were not errors; useful calls/s = useful calls / wall time. ` +
      `Steady state = successful calls per second after the first ${SETTLE_MS / 1000} s. ` +
      `Retries = the scan meter's count (SDK attempts beyond the first plus the provider's own waits).`,
    headers: [
      'wall time',
      'useful calls',
      'useful calls/s',
      'of the limit',
      'steady state calls/s',
      'throttled responses',
      'retries',
      'failed requests',
      'keys returned / expected',
      'scan',
    ],
    rows: [
      [
        sec(run.wallMs),
        int(useful),
        fixed(usefulPerSecond, 1),
        pct(usefulPerSecond / ratePerSecond),
        Number.isFinite(steadyPerSecond) ? fixed(steadyPerSecond, 1) : 'n/a (run too short)',
        `${int(throttled)} (${pct(throttled / run.counters.totalIamRequests)} of requests)`,
        int(run.value?.stats.retries ?? NaN),
        int(failedRequests),
        run.error ? `0 / ${int(check.expected)} ✗` : keysCell(check),
        tooSlow
          ? `not finished after ${sec(capMs)}, abandoned`
          : run.error
            ? `failed: ${describeError(run.error)}`
            : 'completed',
      ],
    ],
  });
  outcome.targets.push(
    {
      target: 'Rate-bound: useful calls/s at least 90% of the limit',
      measured: `${fixed(usefulPerSecond, 1)} of ${ratePerSecond} calls/s (${pct(usefulPerSecond / ratePerSecond)})`,
      met: !run.error && usefulPerSecond >= 0.9 * ratePerSecond,
    },
    {
      target: 'Rate-bound: zero keys lost',
      measured: tooSlow
        ? `scan not finished after ${sec(capMs)}`
        : run.error
          ? `scan failed, ${int(lost)} keys lost`
          : `${int(check.returned)} of ${int(check.expected)} returned, ${check.lost} lost`,
      met: !run.error && keysOk(check),
    },
    {
      target: 'Rate-bound: zero failed requests',
      measured: `${int(failedRequests)} failed requests, scan ${run.error ? 'failed' : 'completed'}`,
      met: !run.error && failedRequests === 0,
    },
  );
  return outcome;
}

class DeadlineError extends Error {}

/** Stops waiting for a scan after `ms`; the scan itself goes on until its client is destroyed, its outcome ignored. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
