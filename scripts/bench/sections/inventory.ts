import { IamEnv } from '@app/iam';
import type { EmulatorCounters } from '@app/iam-emulator';
import { stopChild } from '../children';
import { calls, fixed, int, ms, sec } from '../markdown';
import { sumCalls } from '../measure';
import { describeError, wholeSecondNow, type BenchContext, type SectionOutcome } from '../section';
import { startApiProcess } from './api';
import { checkInventoryAnswer, type InventoryBody, type InventoryCheck } from './inventory-check';

export interface InventorySizes {
  users: number;
  latencyMs: [number, number];
  reportDelayMs: number;
}

/** The route runs with IAM_CONCURRENCY's default, read from the config class so the floor follows it. */
const CONCURRENCY = new IamEnv().IAM_CONCURRENCY;
const LIST_USERS_PAGE = 1000;
const REPORT_POLL_INTERVAL_MS = 100;
const REPORT_ACTIONS = ['GenerateCredentialReport', 'GetCredentialReport'];
/** Exempted keys are part of the answer checked, so none is left out. */
// max_age_seconds=0: every request waits for a scan of its own, as the live route did.
const ROUTE = '/v1/iam/access-keys?include_exempted=true&max_age_seconds=0';
const LIVE_TARGET_OVER_FLOOR = 0.25;

interface Phase {
  name: string;
  source: 'credential-report' | 'list-users';
  wallMs: number;
  status: number;
  error?: string;
  counters: EmulatorCounters;
  check?: InventoryCheck;
  /** Sequential calls × mean latency, plus the rest / IAM_CONCURRENCY × mean latency, plus the report's build. */
  floorMs: number;
  floorAtDeliveredMs: number;
  /** What the calls must be, by action, besides the report's own (shown, not judged). */
  expectedCalls: Record<string, number>;
  callsOk: boolean;
}

/**
 * GET /v1/iam/access-keys on the real API process, SCAN_CACHE_TTL_SECONDS=0 so each request scans: the
 * credential report cold (generated, then read) and warm (the same report), then live (source=list-users,
 * GetAccessKeyLastUsed per key). Every answer is compared key by key, last use and findings included, with
 * the findings @app/findings computes over the emulator's own state.
 */
export async function inventoryRoute(ctx: BenchContext, sizes: InventorySizes): Promise<SectionOutcome> {
  const outcome: SectionOutcome = { tables: [], targets: [], failures: [] };
  const [minMs, maxMs] = sizes.latencyMs;
  const meanMs = (minMs + maxMs) / 2;
  const started = await ctx.worker.start({
    seed: 808,
    users: sizes.users,
    youngUserFraction: 0.1,
    latencyMs: sizes.latencyMs,
    reportDelayMs: sizes.reportDelayMs,
    rootAccessKeys: 2,
    nowMs: wholeSecondNow(),
  });
  const { child, url } = await startApiProcess(started.url, {
    SCAN_CACHE_TTL_SECONDS: '0',
    REPORT_POLL_INTERVAL_MS: String(REPORT_POLL_INTERVAL_MS),
    // Each timed request waits for its own whole scan (the live one reads last use per key: longer than the default 30 s).
    SCAN_WAIT_SECONDS: '600',
  });
  const phases: Phase[] = [];
  let keysHeld = 0;
  try {
    // Readiness makes one IAM call: the client and its connection exist before the first timed request.
    await fetch(`${url}/health/ready`).then((r) => r.text());
    const request = async (name: string, source: Phase['source']) => {
      ctx.progress(`inventory: ${name}, ${int(started.users)} users`);
      await ctx.worker.request({ op: 'resetCounters' });
      const beforeMs = Date.now();
      const t0 = performance.now();
      let status = 0;
      let body: InventoryBody | undefined;
      let error: string | undefined;
      try {
        const res = await fetch(`${url}${ROUTE}${source === 'list-users' ? '&source=list-users' : ''}`);
        status = res.status;
        const text = await res.text();
        if (res.ok) {
          body = JSON.parse(text) as InventoryBody;
        } else {
          error = `HTTP ${res.status}: ${text.slice(0, 300)}`;
        }
      } catch (err) {
        error = describeError(err);
      }
      const wallMs = performance.now() - t0;
      const afterMs = Date.now();
      const counters = await ctx.worker.request({ op: 'counters' });
      const [before, after] = await Promise.all(
        [beforeMs, afterMs].map((nowMs) => ctx.worker.request({ op: 'expectedInventory', nowMs })),
      );
      keysHeld = before.keys.length;
      return { wallMs, status, error, counters, before, after, body };
    };

    const cold = await request('cold: report generated, then read', 'credential-report');
    const warm = await request('warm: same report', 'credential-report');
    const live = await request('live: source=list-users', 'list-users');
    for (const [name, source, run] of [
      ['report, cold (generated, then read)', 'credential-report', cold],
      ['report, warm (same report)', 'credential-report', warm],
      ['live (source=list-users)', 'list-users', live],
    ] as const) {
      const check = run.body ? checkInventoryAnswer(run.body, run.before, run.after) : undefined;
      const requests = run.counters.requests;
      const tags = check?.usersWithFindings ?? [NaN, NaN];
      const expectedCalls: Record<string, number> =
        source === 'list-users'
          ? {
              ListUsers: Math.max(1, Math.ceil(started.users / LIST_USERS_PAGE)),
              ListAccessKeys: started.users,
              GetAccessKeyLastUsed: run.before.keys.length,
            }
          : { ListAccessKeys: run === cold ? started.usersWithKeys : 1 };
      const tagCalls = requests.ListUserTags ?? 0;
      const allowedActions = [
        ...Object.keys(expectedCalls),
        'ListUserTags',
        ...(source === 'list-users' ? [] : REPORT_ACTIONS),
      ];
      const callsOk =
        Object.entries(expectedCalls).every(([action, n]) => (requests[action] ?? 0) === n) &&
        tagCalls >= tags[0] &&
        tagCalls <= tags[1] &&
        sumCalls(requests, allowedActions) === 0 &&
        (source === 'list-users' || (requests.GetCredentialReport ?? 0) >= 1);
      const floorOf = (latency: number) =>
        Object.entries(requests).reduce(
          (sum, [action, n]) =>
            sum + (action === 'ListUsers' || REPORT_ACTIONS.includes(action) ? n : n / CONCURRENCY) * latency,
          run === cold ? sizes.reportDelayMs : 0,
        );
      const { answered, deliveredMs } = run.counters.latency;
      phases.push({
        name,
        source,
        wallMs: run.wallMs,
        status: run.status,
        error: run.error,
        counters: run.counters,
        check,
        floorMs: floorOf(meanMs),
        floorAtDeliveredMs: answered > 0 ? floorOf(deliveredMs / answered) : NaN,
        expectedCalls: { ...expectedCalls, ListUserTags: tags[0] },
        callsOk,
      });
      if (run.error || !check) {
        outcome.failures.push(`inventory ${name} failed: ${run.error ?? 'no body'}`);
      } else if (check.lost > 0 || check.wrong > 0 || check.wrongFindings > 0 || !check.rootOk) {
        outcome.failures.push(
          `inventory ${name}: lost ${check.lost} keys, ${check.wrong} wrong, ${check.wrongFindings} with wrong findings, root keys ${check.root}`,
        );
      }
    }
  } finally {
    await stopChild(child);
  }

  outcome.tables.push({
    title: 'Inventory route: GET /v1/iam/access-keys, report cold and warm, and live',
    note:
      `The API as its own process (as in the API section) with SCAN_CACHE_TTL_SECONDS=0, so every request scans, against ` +
      `${int(started.users)} emulated users (10% created within the last day), ${int(started.usersWithKeys)} of them owning ` +
      `${int(keysHeld)} keys (the root user two more), ${minMs}–${maxMs} ms per IAM call, no rate limit, IAM_CONCURRENCY at its default (${CONCURRENCY}); ` +
      `the emulator takes ${sizes.reportDelayMs} ms to build a report, polled every ${REPORT_POLL_INTERVAL_MS} ms. ` +
      `GET ${ROUTE} (every key, exempted ones too), then the same with source=list-users. Wall time: the request as the ` +
      `client sees it, JSON included. Every variant reads ListUserTags once per user with a finding (tag exemptions). ` +
      `Keys: each answered key's status, creation date, last use (date, service, region) and findings against what ` +
      `@app/findings computes from the emulator's own state (test/support/expected-findings.ts); root keys too from the report. ` +
      `Floor: ListUsers pages and report calls one after another, every other call / ${CONCURRENCY} in parallel, each at the ` +
      `configured mean latency (${meanMs} ms), plus the report's build when cold; "at delivered latency" uses the emulator's measured mean.`,
    headers: [
      'run',
      'wall time',
      'IAM calls',
      'calls expected',
      'floor (at delivered latency)',
      'wall / floor',
      'keys returned / expected',
      'findings',
    ],
    rows: phases.map((p) => [
      p.name,
      p.error ? `failed (${p.status})` : sec(p.wallMs),
      calls(p.counters.requests),
      `${calls(p.expectedCalls)}${p.source === 'list-users' ? '' : ' + report calls'} ${p.callsOk ? '✓' : '✗'}`,
      `${sec(p.floorMs)} (${sec(p.floorAtDeliveredMs)})`,
      `${fixed(p.wallMs / p.floorMs)}×`,
      p.check ? keysCell(p.check) : 'n/a',
      p.check
        ? `${int(p.check.findings)}${p.check.wrongFindings === 0 ? ' ✓' : ` ✗ (${p.check.wrongFindings} keys wrong)`}`
        : 'n/a',
    ]),
  });

  const [cold, warm, live] = phases;
  const exact = (p: Phase) =>
    !p.error && !!p.check && p.check.lost + p.check.wrong + p.check.wrongFindings === 0 && p.check.rootOk;
  const vsFloor = live.wallMs / live.floorMs;
  outcome.targets.push(
    {
      target:
        'Inventory route, report cold: report calls + one ListAccessKeys per user with a key + one ListUserTags per user with a finding',
      measured: `${calls(cold.counters.requests)}, ${sec(cold.wallMs)}`,
      met: exact(cold) && cold.callsOk,
    },
    {
      target:
        'Inventory route, report warm: report calls + one ListAccessKeys + one ListUserTags per user with a finding',
      measured: `${calls(warm.counters.requests)}, ${sec(warm.wallMs)}`,
      met: exact(warm) && warm.callsOk,
    },
    {
      target: `Inventory route, live: the calls exactly as expected, within ${LIVE_TARGET_OVER_FLOOR * 100}% of the floor`,
      measured: `${sec(live.wallMs)} vs floor ${sec(live.floorMs)} (+${fixed((vsFloor - 1) * 100, 1)}%), calls ${live.callsOk ? 'as expected' : 'not as expected'} (${ms(live.wallMs - live.floorMs)} above)`,
      met: exact(live) && live.callsOk && vsFloor <= 1 + LIVE_TARGET_OVER_FLOOR,
    },
  );
  return outcome;
}

const keysCell = (check: InventoryCheck): string =>
  check.lost === 0 && check.wrong === 0
    ? `${int(check.returned)} / ${int(check.expected)} ✓, root ${check.root}`
    : `${int(check.returned)} / ${int(check.expected)} ✗ (lost ${check.lost}, wrong ${check.wrong}), root ${check.root}`;
