import os from 'node:os';
import type { ScanQuery, ScanResult } from '@app/iam';
import { calls, fixed, int, mb, ms, pct, sec } from '../markdown';
import { keysOk } from '../measure';
import { BenchScanner, keyRecordsOf, type SequentialResult } from '../scanner';
import {
  describeError,
  keysCell,
  timed,
  verify,
  wholeSecondNow,
  type BenchContext,
  type Run,
  type SectionOutcome,
  type Setup,
} from '../section';

export interface LatencyBoundSizes {
  users: number;
  latencyMs: [number, number];
}

const EVERY_KEY: ScanQuery = { hours: 0, includeInactive: true };
/** A day: on the half-young account, about half the users were created within it. */
const ONE_DAY: ScanQuery = { hours: 24, includeInactive: true };

/**
 * Latency-bound: no rate limit, every call costs the emulator's latency. The list-users scan with the
 * default limiter against a sequential loop and against the floor the limiter allows; then the
 * young-user skip on an account where half the users are younger than the threshold.
 */
export async function latencyBound(ctx: BenchContext, sizes: LatencyBoundSizes): Promise<SectionOutcome> {
  const outcome: SectionOutcome = { tables: [], targets: [], failures: [] };
  const [minMs, maxMs] = sizes.latencyMs;
  const configuredMeanMs = (minMs + maxMs) / 2;

  // All users old, so the skip hides nothing and every user costs one ListAccessKeys.
  const allOld: Setup = {
    seed: 101,
    users: sizes.users,
    youngUserFraction: 0,
    latencyMs: sizes.latencyMs,
    reportDelayMs: 0,
  };
  const started = await ctx.worker.start({ ...allOld, nowMs: wholeSecondNow() });
  const scanner = await BenchScanner.create(started.url);
  let concurrency: number;
  let sequential: Run<SequentialResult>;
  let limited: Run<ScanResult>;
  try {
    concurrency = scanner.config.concurrency;
    await scanner.warmUp();
    ctx.progress(`latency-bound: list-users scan, limiter ${concurrency}, ${int(sizes.users)} users`);
    limited = await timed(ctx, scanner, () => scanner.listUsers(EVERY_KEY));
    ctx.progress(`latency-bound: sequential scan (${sec(limited.wallMs)} for the limited one)`);
    sequential = await timed(ctx, scanner, () => scanner.sequentialScan(EVERY_KEY));
  } finally {
    await scanner.close();
  }

  const seqCheck = await verify(ctx, sequential, sequential.value?.keys, EVERY_KEY);
  const limCheck = await verify(ctx, limited, limited.value && keyRecordsOf(limited.value), EVERY_KEY);
  for (const [name, run, check] of [
    ['sequential scan', sequential, seqCheck],
    ['list-users scan', limited, limCheck],
  ] as const) {
    if (run.error) {
      outcome.failures.push(`latency-bound ${name} failed: ${describeError(run.error)}`);
    } else if (!keysOk(check)) {
      outcome.failures.push(`latency-bound ${name}: lost ${check.lost} keys, ${check.extra} unexpected`);
    }
  }

  const pages = limited.counters.requests.ListUsers ?? 0;
  const listAccessKeys = limited.counters.requests.ListAccessKeys ?? 0;
  const floorMs = (pages + listAccessKeys / concurrency) * configuredMeanMs;
  const floorAtMeasuredMs = (pages + listAccessKeys / concurrency) * limited.meanLatencyMs;
  const vsFloor = limited.wallMs / floorMs;
  const speedUp = sequential.wallMs / limited.wallMs;

  const iamLatency = (run: Run<unknown>) => {
    const { answered, drawnMs, deliveredMs } = run.counters.latency;
    return answered > 0 ? `${fixed(drawnMs / answered, 2)} / ${fixed(deliveredMs / answered, 2)}` : 'n/a';
  };
  const row = (name: string, run: Run<unknown>, byAction: Record<string, number>, peak: string, check: string) => [
    name,
    sec(run.wallMs),
    calls(byAction),
    peak,
    iamLatency(run),
    fixed(run.meanLatencyMs, 2),
    `${pct(run.cpuShare)} / ${pct(run.emulatorCpuShare)}`,
    mb(run.peakRss),
    check,
  ];
  outcome.tables.push({
    title: 'Latency-bound: list-users scan against a sequential loop and the floor',
    note:
      `${int(started.users)} users, all older than the threshold (youngUserFraction 0), ${minMs}–${maxMs} ms per IAM call, ` +
      `no rate limit; query hours=0 with inactive keys, so every user costs one ListAccessKeys. ` +
      `Floor = (ListUsers pages + ListAccessKeys / ${concurrency}) × ${configuredMeanMs} ms (the configured mean latency); ` +
      `at the measured mean round trip it would be ${sec(floorAtMeasuredMs)}. ` +
      `Peak in flight: the scan's own count of requests at IAM (its request slots) / concurrent requests the emulator saw (the one ListUsers page in flight is not bounded by the slots). ` +
      `IAM latency: the emulator's, per request, as drawn from the range and as delivered from the request's arrival to its answer. ` +
      `Round trip: client-side, per successful attempt, from the request leaving to its answer being in (the emulator's latency and loopback HTTP; building, signing and parsing are outside it). ` +
      `CPU: each process's CPU time over the wall time (100% = one core busy; the machine has ${os.availableParallelism()}). Peak RSS: bench process, sampled every 20 ms.`,
    headers: [
      'run',
      'wall time',
      'IAM calls',
      'peak in flight',
      'IAM latency drawn / delivered (ms)',
      'mean round trip (ms)',
      'CPU bench / emulator',
      'peak RSS',
      'keys returned / expected',
    ],
    rows: [
      row(
        'sequential loop (one call at a time)',
        sequential,
        sequential.counters.requests,
        `1 / ${sequential.counters.peakInFlight}`,
        sequential.error ? `failed: ${describeError(sequential.error)}` : keysCell(seqCheck),
      ),
      row(
        `list-users scan, limiter ${concurrency}`,
        limited,
        limited.counters.requests,
        `${limited.value?.stats.peakInFlight ?? 'n/a'} / ${limited.counters.peakInFlight}`,
        limited.error ? `failed: ${describeError(limited.error)}` : keysCell(limCheck),
      ),
      [
        `floor at limiter ${concurrency}`,
        sec(floorMs),
        `ListUsers ${pages}, ListAccessKeys ${int(listAccessKeys)}`,
        String(concurrency),
        fixed(configuredMeanMs, 2),
        '',
        '',
        '',
        '',
      ],
    ],
  });
  outcome.tables.push({
    title: 'Latency-bound: ratios',
    headers: ['ratio', 'value'],
    rows: [
      ['list-users scan / floor', `${fixed(vsFloor)}× (${ms(limited.wallMs - floorMs)} above)`],
      ['list-users scan / floor at the measured round trip', `${fixed(limited.wallMs / floorAtMeasuredMs)}×`],
      ['sequential / list-users scan (speed-up)', `${fixed(speedUp)}×`],
    ],
  });
  outcome.targets.push(
    {
      target: 'Latency-bound list-users scan within 15% of the floor',
      measured: `${sec(limited.wallMs)} vs floor ${sec(floorMs)} (+${fixed((vsFloor - 1) * 100, 1)}%)`,
      met: !limited.error && vsFloor <= 1.15,
    },
    {
      target: 'Latency-bound list-users scan at least 4.5× faster than the sequential scan',
      measured: `${fixed(speedUp)}× (${sec(sequential.wallMs)} vs ${sec(limited.wallMs)})`,
      met: !limited.error && !sequential.error && speedUp >= 4.5,
    },
  );

  await youngUsers(ctx, sizes, outcome);
  return outcome;
}

/** The same size of account, half its users younger than a day: at hours=24 they cost no ListAccessKeys. */
async function youngUsers(ctx: BenchContext, sizes: LatencyBoundSizes, outcome: SectionOutcome): Promise<void> {
  const halfYoung: Setup = {
    seed: 202,
    users: sizes.users,
    youngUserFraction: 0.5,
    latencyMs: sizes.latencyMs,
    reportDelayMs: 0,
  };
  const started = await ctx.worker.start({ ...halfYoung, nowMs: wholeSecondNow() });
  const scanner = await BenchScanner.create(started.url);
  const runs: { query: ScanQuery; run: Run<ScanResult> }[] = [];
  try {
    await scanner.warmUp();
    for (const query of [EVERY_KEY, ONE_DAY]) {
      ctx.progress(`latency-bound: half-young account, list-users scan hours=${query.hours}`);
      runs.push({ query, run: await timed(ctx, scanner, () => scanner.listUsers(query)) });
    }
  } finally {
    await scanner.close();
  }

  const rows = [];
  for (const { query, run } of runs) {
    const check = await verify(ctx, run, run.value && keyRecordsOf(run.value), query);
    if (run.error) {
      outcome.failures.push(`half-young list-users scan hours=${query.hours} failed: ${describeError(run.error)}`);
    } else if (!keysOk(check)) {
      outcome.failures.push(
        `half-young list-users scan hours=${query.hours}: lost ${check.lost} keys, ${check.extra} unexpected`,
      );
    }
    rows.push([
      `hours=${query.hours}`,
      int(run.value?.stats.usersSeen ?? NaN),
      int(run.value?.stats.usersSkippedYoung ?? NaN),
      int(run.counters.requests.ListAccessKeys ?? 0),
      sec(run.wallMs),
      run.error ? `failed: ${describeError(run.error)}` : keysCell(check),
    ]);
  }
  const [all, day] = runs.map((r) => r.run);
  const dayStats = day.value?.stats;
  const dayCalls = day.counters.requests.ListAccessKeys ?? 0;
  const allCalls = all.counters.requests.ListAccessKeys ?? 0;
  rows.push([
    'saving at hours=24',
    '',
    '',
    `${int(allCalls - dayCalls)} fewer (${fixed((dayCalls / allCalls) * 100, 0)}% of the calls)`,
    `${fixed(day.wallMs / all.wallMs)}× the time`,
    '',
  ]);
  outcome.tables.push({
    title: 'Young users cost no ListAccessKeys',
    note:
      `${int(started.users)} users, ${int(started.youngUsers)} of them created within the last day (youngUserFraction 0.5), ` +
      `${sizes.latencyMs[0]}–${sizes.latencyMs[1]} ms per call, no rate limit, limiter at its default. ` +
      `At hours=0 nobody is young; at hours=24 a user created within the day cannot own a 24-hour-old key and is skipped.`,
    headers: ['query', 'users seen', 'young users skipped', 'ListAccessKeys', 'wall time', 'keys returned / expected'],
    rows,
  });
  const expectedCalls = dayStats ? dayStats.usersSeen - dayStats.usersSkippedYoung : NaN;
  outcome.targets.push({
    target: 'Young users cost no ListAccessKeys call (half-young account, hours=24)',
    measured: dayStats
      ? `${int(dayCalls)} ListAccessKeys for ${int(dayStats.usersSeen)} users, ${int(dayStats.usersSkippedYoung)} skipped as young`
      : 'scan failed',
    met: !!dayStats && dayCalls === expectedCalls && dayStats.usersSkippedYoung > 0,
  });
}
