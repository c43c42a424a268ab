import type { ScanQuery, ScanResult } from '@app/iam';
import { calls, int, mb, sec } from '../markdown';
import { keysOk, sumCalls } from '../measure';
import { BenchScanner, keyRecordsOf } from '../scanner';
import {
  describeError,
  keysCell,
  timed,
  verify,
  wholeSecondNow,
  type BenchContext,
  type Run,
  type SectionOutcome,
} from '../section';

export interface CredentialReportSizes {
  users: number;
  latencyMs: [number, number];
  reportDelayMs: number;
  /** Users whose keys change between the warm runs. */
  changedUsers: number;
}

/** What the route scans with the default SCAN_CACHE_TTL_SECONDS: the full inventory, cut per request. */
const INVENTORY: ScanQuery = { hours: 0, includeInactive: true };
const REPORT_ACTIONS = ['GenerateCredentialReport', 'GetCredentialReport'];

interface Phase {
  name: string;
  expectedListAccessKeys: number;
  expectation: string;
  run: Run<ScanResult>;
}

/**
 * The credential report strategy on one Nest instance, three times: cold (no report yet), warm on the
 * same report, and warm on a new report after a few users' keys changed.
 */
export async function credentialReport(ctx: BenchContext, sizes: CredentialReportSizes): Promise<SectionOutcome> {
  const outcome: SectionOutcome = { tables: [], targets: [], failures: [] };
  const started = await ctx.worker.start({
    seed: 404,
    users: sizes.users,
    youngUserFraction: 0.1,
    latencyMs: sizes.latencyMs,
    reportDelayMs: sizes.reportDelayMs,
    nowMs: wholeSecondNow(),
  });
  const scanner = await BenchScanner.create(started.url, { REPORT_POLL_INTERVAL_MS: '100' });
  const phases: Phase[] = [];
  const rows: string[][] = [];
  /** Checked right away: the account changes before the last run. */
  const runPhase = async (phase: Omit<Phase, 'run'>) => {
    ctx.progress(`credential report: ${phase.name}`);
    const run = await timed(ctx, scanner, () => scanner.credentialReport(INVENTORY));
    phases.push({ ...phase, run });
    const check = await verify(ctx, run, run.value && keyRecordsOf(run.value), INVENTORY);
    if (run.error) {
      outcome.failures.push(`credential report ${phase.name} failed: ${describeError(run.error)}`);
    } else if (!keysOk(check)) {
      outcome.failures.push(`credential report ${phase.name}: lost ${check.lost} keys, ${check.extra} unexpected`);
    }
    const requests = run.counters.requests;
    rows.push([
      phase.name,
      sec(run.wallMs),
      calls(requests),
      int(requests.ListAccessKeys ?? 0),
      `${int(phase.expectedListAccessKeys)} (${phase.expectation})`,
      mb(run.peakRss),
      run.error ? `failed: ${describeError(run.error)}` : keysCell(check),
    ]);
  };
  try {
    await scanner.warmUp();
    await runPhase({
      name: 'cold: report generated, then read',
      expectedListAccessKeys: started.usersWithKeys,
      expectation: 'one per candidate',
    });
    await runPhase({
      name: 'warm: same report',
      expectedListAccessKeys: 1,
      expectation: 'the access check alone: no key changed',
    });
    const changed = await ctx.worker.request({ op: 'changeKeys', count: sizes.changedUsers });
    await ctx.worker.request({ op: 'expireReport' });
    await runPhase({
      name: `warm: new report, ${changed.length} users' keys changed`,
      expectedListAccessKeys: changed.length,
      expectation: 'one per changed user',
    });
  } finally {
    await scanner.close();
  }

  outcome.tables.push({
    title: 'Credential report: cold and warm',
    note:
      `${int(started.users)} users (10% created within the last day), ${int(started.usersWithKeys)} of them own keys, ` +
      `${sizes.latencyMs[0]}–${sizes.latencyMs[1]} ms per call, the emulator takes ${sizes.reportDelayMs} ms to build a report, ` +
      `polled every 100 ms (REPORT_POLL_INTERVAL_MS). The query is the route's shared inventory (hours=0 with inactive keys, ` +
      `what it scans under the default SCAN_CACHE_TTL_SECONDS), so every user owning a key is a candidate. ` +
      `All three runs share one CredentialReportStrategy instance, as requests share the API's. ` +
      `Before the third run, ${sizes.changedUsers} users got a new key in slot 1 and the report expired, so a new one was generated.`,
    headers: [
      'run',
      'wall time',
      'IAM calls',
      'ListAccessKeys',
      'ListAccessKeys expected',
      'peak RSS',
      'keys returned / expected',
    ],
    rows,
  });

  const [cold, warm, changed] = phases;
  const lak = (phase: Phase) => phase.run.counters.requests.ListAccessKeys ?? 0;
  const onlyReportCalls = (phase: Phase) =>
    sumCalls(phase.run.counters.requests, [...REPORT_ACTIONS, 'ListAccessKeys']) === 0;
  outcome.targets.push(
    {
      target: 'Credential report, cold: one ListAccessKeys per candidate user',
      measured: `${int(lak(cold))} ListAccessKeys for ${int(cold.expectedListAccessKeys)} candidates, ${sec(cold.run.wallMs)}`,
      met: !cold.run.error && lak(cold) === cold.expectedListAccessKeys && onlyReportCalls(cold),
    },
    {
      target: 'Credential report, warm (same report): the report calls and one ListAccessKeys (the access check)',
      measured: `${calls(warm.run.counters.requests)}, ${sec(warm.run.wallMs)}`,
      met: !warm.run.error && lak(warm) === 1 && onlyReportCalls(warm),
    },
    {
      target: 'Credential report, warm (new report): report calls + one ListAccessKeys per user whose keys changed',
      measured: `${int(lak(changed))} ListAccessKeys for ${int(changed.expectedListAccessKeys)} changed users, ${sec(changed.run.wallMs)}`,
      met: !changed.run.error && lak(changed) === changed.expectedListAccessKeys && onlyReportCalls(changed),
    },
  );
  return outcome;
}
