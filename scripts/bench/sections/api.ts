import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { EMULATOR_AWS_ENV } from '@app/iam-emulator';
import { freePort } from '../../../test/support/free-port';
import { stopChild, track } from '../children';
import type { KeyRecord } from '../emulator-protocol';
import { fixed, int, ms, pct, sec } from '../markdown';
import { checkKeys, keysOk } from '../measure';
import { keysCell, wholeSecondNow, type BenchContext, type SectionOutcome } from '../section';
import { checkInventoryAnswer, type InventoryBody } from './inventory-check';

export interface ApiSizes {
  users: number;
  latencyMs: [number, number];
  connections: number;
  durationSeconds: number;
}

const ROOT = path.resolve(__dirname, '../../..');
const HOURS = 720;
const ROUTE = `/v1/iam/old-access-keys/list-users?hours=${HOURS}`;

interface ListUsersBody {
  old_access_keys: { user_name: string; access_key_id: string; created_date: string; status: 'Active' | 'Inactive' }[];
}

/** A bearer token for the bench's API process: the token check runs on every measured request. */
const BENCH_TOKEN = 'bench-token-0123456789abcdef';
/** The most RATE_LIMIT_PER_MINUTE allows: the limiter counts every request and never refuses one in 10 s. */
const BENCH_RATE_LIMIT = 1_000_000;
/** Issue 15: every warm read route reaches this share of a bare node:http server's requests/s... */
const MIN_SHARE_OF_BARE = 0.4;
/** ...with its p99 below this, at 50 connections. */
const MAX_P99_MS = 25;

const REPORT_ROUTE = '/v1/iam/old-access-keys/credential-report';
const REPORT_BODY = JSON.stringify({ hours: HOURS });
/** The inventory route, answered from the store after one on-demand scan. */
const INVENTORY_ROUTE = '/v1/iam/access-keys?include_exempted=true';
/**
 * What a dashboard asks the inventory: the keys list-users answers (Active, at least HOURS old), minus exempted
 * ones, with last use and findings. The whole inventory (every key of every user) is checked at warm-up, but is too
 * large an answer (MBs) for a load on one machine to say anything but how fast autocannon parses.
 */
const DASHBOARD_ROUTE = `/v1/iam/access-keys?finding=old&older_than_hours=${HOURS}&status=Active`;
const SCAN_WAIT_MS = 120_000;

/**
 * A node:http server that answers every request with the same bytes and nothing else: the floor. `/` sends the
 * list-users answer's bytes, `/inventory` the inventory answer's (about 30 times larger), so each route is
 * compared with a server sending as much as it does.
 */
const BARE_SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const body = fs.readFileSync(process.argv[1]);
const inventory = fs.readFileSync(process.argv[3]);
http.createServer((req, res) => {
  const bytes = req.url === '/inventory' ? inventory : body;
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes.length });
  res.end(bytes);
}).listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

interface Load {
  label: string;
  result: autocannon.Result;
  /** The bare server's load this row is compared with (itself for a bare row). */
  bare?: Load;
  /** Whether this row is judged against the targets (the warm 200 routes). */
  judged: boolean;
}

/**
 * The real API in its own process (apps/api/src/main.ts, bearer token and rate limit on), its IAM endpoint on the
 * emulator worker: one request per route warms the shared scans, then autocannon measures, side by side with the
 * same connections and duration, a bare node:http server sending the list-users answer's bytes, the warm
 * list-users GET, the warm credential-report POST, the inventory GET from the store (after one on-demand scan),
 * and a dashboard polling list-users with If-None-Match (304).
 */
export async function apiLoad(ctx: BenchContext, sizes: ApiSizes): Promise<SectionOutcome> {
  const outcome: SectionOutcome = { tables: [], targets: [], failures: [] };
  const started = await ctx.worker.start({
    seed: 606,
    users: sizes.users,
    youngUserFraction: 0.1,
    latencyMs: sizes.latencyMs,
    reportDelayMs: 0,
    nowMs: wholeSecondNow(),
  });
  const { child, url } = await startApiProcess(started.url, {
    SCAN_CACHE_TTL_SECONDS: '600',
    API_TOKENS: BENCH_TOKEN,
    ALLOW_UNAUTHENTICATED: 'false',
    RATE_LIMIT_PER_MINUTE: String(BENCH_RATE_LIMIT),
    // The inventory comes from the one scan the bench starts (POST /v1/scans), none on a schedule.
    SCAN_INTERVAL_MINUTES: '0',
  });
  const auth = { authorization: `Bearer ${BENCH_TOKEN}` };
  const bodyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-api-')), 'list-users.json');
  let bare: ChildProcess | undefined;
  try {
    ctx.progress(`api: warming ${ROUTE} (one list-users scan of ${int(started.users)} users)`);
    const warmStarted = performance.now();
    const warmBeforeMs = Date.now();
    const res = await fetch(`${url}${ROUTE}`, { headers: auth });
    const warmMs = performance.now() - warmStarted;
    const warmAfterMs = Date.now();
    if (!res.ok) {
      throw new Error(`warm-up request answered ${res.status}: ${await res.text()}`);
    }
    const etag = res.headers.get('etag');
    const bytes = Buffer.from(await res.arrayBuffer());
    const body = JSON.parse(bytes.toString()) as ListUsersBody;
    const returned: KeyRecord[] = body.old_access_keys.map((k) => ({
      userName: k.user_name,
      accessKeyId: k.access_key_id,
      createdMs: Date.parse(k.created_date),
      status: k.status,
    }));
    const [required, allowed] = await Promise.all(
      [warmBeforeMs, warmAfterMs].map((nowMs) =>
        ctx.worker.request({ op: 'expectedOldKeys', hours: HOURS, includeInactive: false, nowMs }),
      ),
    );
    const check = checkKeys(returned, required, allowed);
    if (!keysOk(check)) {
      outcome.failures.push(`API ${ROUTE}: lost ${check.lost} keys, ${check.extra} unexpected`);
    }
    if (!etag) {
      outcome.failures.push(`API ${ROUTE}: no ETag on the warm answer`);
    }
    ctx.progress('api: warming the credential-report route (one report)');
    const reportStarted = performance.now();
    const report = await fetch(`${url}${REPORT_ROUTE}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: REPORT_BODY,
    });
    const reportWarmMs = performance.now() - reportStarted;
    const reportBytes = (await report.arrayBuffer()).byteLength;
    if (!report.ok) {
      throw new Error(`credential-report warm-up answered ${report.status}`);
    }

    ctx.progress(`api: one scan into the store (POST /v1/scans), then warming ${INVENTORY_ROUTE}`);
    const inventoryBeforeMs = Date.now();
    const scanId = await scanOnce(url, auth);
    const inventoryStarted = performance.now();
    const inventory = await fetch(`${url}${INVENTORY_ROUTE}`, { headers: auth });
    const inventoryWarmMs = performance.now() - inventoryStarted;
    const inventoryText = await inventory.text();
    if (!inventory.ok) {
      throw new Error(`${INVENTORY_ROUTE} warm-up answered ${inventory.status}: ${inventoryText.slice(0, 300)}`);
    }
    const [inventoryBefore, inventoryAfter] = await Promise.all(
      [inventoryBeforeMs, Date.now()].map((nowMs) => ctx.worker.request({ op: 'expectedInventory', nowMs })),
    );
    const inventoryCheck = checkInventoryAnswer(
      JSON.parse(inventoryText) as InventoryBody,
      inventoryBefore,
      inventoryAfter,
    );
    if (
      inventoryCheck.lost + inventoryCheck.wrong + inventoryCheck.wrongFindings > 0 ||
      !inventoryCheck.rootOk ||
      inventoryCheck.returned !== inventoryCheck.expected
    ) {
      outcome.failures.push(
        `API ${INVENTORY_ROUTE}: ${inventoryCheck.returned} keys of ${inventoryCheck.expected}, lost ${inventoryCheck.lost}, ` +
          `wrong ${inventoryCheck.wrong}, wrong findings ${inventoryCheck.wrongFindings}, root ${inventoryCheck.root}`,
      );
    }

    const dashboard = await fetch(`${url}${DASHBOARD_ROUTE}`, { headers: auth });
    const dashboardText = await dashboard.text();
    if (!dashboard.ok) {
      throw new Error(`${DASHBOARD_ROUTE} answered ${dashboard.status}: ${dashboardText.slice(0, 300)}`);
    }
    const dashboardBody = JSON.parse(dashboardText) as {
      access_keys: { access_key_id: string }[];
      exempted_count: number;
    };
    const listed = new Set(returned.map((k) => k.accessKeyId));
    const outside = dashboardBody.access_keys.filter((k) => !listed.has(k.access_key_id)).length;
    if (outside > 0 || dashboardBody.access_keys.length + dashboardBody.exempted_count !== listed.size) {
      outcome.failures.push(
        `API ${DASHBOARD_ROUTE}: ${dashboardBody.access_keys.length} keys + ${dashboardBody.exempted_count} exempted, ` +
          `${outside} not in list-users' ${listed.size}`,
      );
    }

    writeFileSync(bodyFile, bytes);
    const inventoryFile = path.join(path.dirname(bodyFile), 'inventory.json');
    writeFileSync(inventoryFile, dashboardText);
    const barePort = await freePort();
    bare = track(
      spawn(process.execPath, ['-e', BARE_SERVER, bodyFile, String(barePort), inventoryFile], { stdio: 'pipe' }),
    );
    await new Promise<void>((resolve, reject) => {
      bare?.stdout?.once('data', () => resolve());
      bare?.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
    });

    await ctx.worker.request({ op: 'resetCounters' });
    const lastTag = { value: etag ?? '"none"' };
    const load = async (
      label: string,
      bareLoad: Load | undefined,
      judged: boolean,
      options: autocannon.Options,
    ): Promise<Load> => {
      ctx.progress(`api: ${label}, ${sizes.connections} connections for ${sizes.durationSeconds} s`);
      const result = await autocannon({ connections: sizes.connections, duration: sizes.durationSeconds, ...options });
      return { label, result, bare: bareLoad, judged };
    };
    const bareList = await load('bare node:http server, the list-users answer’s bytes', undefined, false, {
      url: `http://127.0.0.1:${barePort}/`,
    });
    const loads: Load[] = [
      bareList,
      await load(`GET ${ROUTE}`, bareList, true, { url: `${url}${ROUTE}`, headers: auth }),
      await load(`POST ${REPORT_ROUTE} ${REPORT_BODY}`, bareList, true, {
        url: `${url}${REPORT_ROUTE}`,
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: REPORT_BODY,
      }),
    ];
    const bareInventory = await load(
      'bare node:http server, the dashboard inventory answer’s bytes',
      undefined,
      false,
      {
        url: `http://127.0.0.1:${barePort}/inventory`,
      },
    );
    loads.push(
      bareInventory,
      await load(`GET ${DASHBOARD_ROUTE}`, bareInventory, true, { url: `${url}${DASHBOARD_ROUTE}`, headers: auth }),
      await load(`GET ${ROUTE}, polling with If-None-Match: the last ETag seen`, bareList, false, {
        url: `${url}${ROUTE}`,
        headers: auth,
        // Dashboards polling: each request sends the tag of the last answer seen, and a changed answer (ages move
        // a tenth of an hour about every 360 s / keys) brings the new tag. (autocannon clears its per-connection
        // context after each request of a one-request list, so the last tag is kept here.)
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, 'if-none-match': lastTag.value },
            }),
            onResponse: (_status, _body, _context, headers) => {
              const tag = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'etag')?.[1];
              if (typeof tag === 'string') {
                lastTag.value = tag;
              }
            },
          },
        ],
      }),
    );
    const iamDuringLoad = (await ctx.worker.request({ op: 'counters' })).totalIamRequests;
    const polling = loads[5].result;
    // A bare row is its own floor.
    const shareOfBare = (row: Load) => row.result.requests.average / (row.bare ?? row).result.requests.average;
    const codes = polling.statusCodeStats as Partial<Record<string, { count: number }>> | undefined;
    const notModified = codes?.['304']?.count ?? 0;
    const changed = codes?.['200']?.count ?? 0;
    if (notModified === 0 || notModified + changed !== polling.requests.total) {
      outcome.failures.push(
        `API ${ROUTE} polled with If-None-Match: ${int(notModified)} answers 304 and ${int(changed)} 200 of ${int(polling.requests.total)}`,
      );
    }
    for (const { label, result } of loads.filter((l) => l.judged)) {
      if (result.non2xx > 0 || result.errors + result.timeouts > 0) {
        outcome.failures.push(
          `API ${label}: ${int(result.non2xx)} non-2xx, ${int(result.errors + result.timeouts)} errors`,
        );
      }
    }

    outcome.tables.push({
      title: 'API under load: warm read routes against a bare node:http server',
      note:
        `The API as its own process (node -r @swc-node/register apps/api/src/main.ts, NODE_ENV=production, LOG_LEVEL=warn, ` +
        `API_TOKENS set and sent, RATE_LIMIT_PER_MINUTE=${int(BENCH_RATE_LIMIT)} so the limiter counts every request without refusing one, ` +
        `SCAN_CACHE_TTL_SECONDS=600 so the shared scans outlive the run) against ${int(started.users)} emulated users ` +
        `(${sizes.latencyMs[0]}–${sizes.latencyMs[1]} ms per call). One request per route warms the shared scans ` +
        `(list-users: ${sec(warmMs)}, answer checked against the emulator, ${keysCell(check)}; credential report: ${sec(reportWarmMs)}); ` +
        `then one on-demand scan (POST /v1/scans, scan ${scanId}; the process has DATA_DIR in a temp folder and SCAN_INTERVAL_MINUTES=0) ` +
        `and one ${INVENTORY_ROUTE} from the store (${sec(inventoryWarmMs)}; ${int(inventoryCheck.returned)} keys of ${int(inventoryCheck.expected)}, ` +
        `each checked with its last use and findings against the emulator, ${int(inventoryText.length)} bytes), and ${DASHBOARD_ROUTE} ` +
        `(${int(dashboardBody.access_keys.length)} keys + ${int(dashboardBody.exempted_count)} exempted: list-users' keys, checked; ${int(dashboardText.length)} bytes). ` +
        `Then autocannon runs in the bench process, one load after the other with ${sizes.connections} connections for ` +
        `${sizes.durationSeconds} s each: a bare node:http server (its own process) sending the list-users answer's ` +
        `${int(bytes.length)} bytes, the two warm old-keys routes (${int(check.returned)} keys; the report's answer ${int(reportBytes)} bytes), ` +
        `the same bare server sending the dashboard inventory answer's bytes, that warm inventory route (each route is compared with the bare ` +
        `row sending as many bytes as it does), ` +
        `and dashboards polling list-users with If-None-Match, each request sending the last tag any of them got: ${int(notModified)} answers were 304 ` +
        `without a body, ${int(changed)} were 200 with the changed body (an age moved a tenth of an hour). IAM calls during the loads: ${int(iamDuringLoad)}. ` +
        `Target (issue 15): each warm route at least ${pct(MIN_SHARE_OF_BARE)} of the bare server's requests/s with p99 under ${MAX_P99_MS} ms.`,
      headers: [
        'load',
        'requests',
        'requests/s',
        'of bare',
        'p50',
        'p99',
        'max',
        'bytes/answer (headers too)',
        'non-2xx',
        'errors + timeouts',
      ],
      rows: loads.map((row) => [
        row.label,
        int(row.result.requests.total),
        fixed(row.result.requests.average, 0),
        pct(shareOfBare(row)),
        ms(row.result.latency.p50),
        ms(row.result.latency.p99),
        ms(row.result.latency.max),
        int(row.result.requests.total > 0 ? row.result.throughput.total / row.result.requests.total : NaN),
        int(row.result.non2xx),
        int(row.result.errors + row.result.timeouts),
      ]),
    });
    for (const row of loads.filter((l) => l.judged)) {
      const { label, result } = row;
      const share = shareOfBare(row);
      const floor = (row.bare ?? row).result.requests.average;
      outcome.targets.push({
        target: `API warm ${label}: ≥ ${pct(MIN_SHARE_OF_BARE)} of a bare node:http server's requests/s (same bytes), p99 < ${MAX_P99_MS} ms (${sizes.connections} connections)`,
        measured: `${fixed(result.requests.average, 0)}/s = ${pct(share)} of ${fixed(floor, 0)}/s, p99 ${ms(result.latency.p99)}`,
        met: share >= MIN_SHARE_OF_BARE && result.latency.p99 < MAX_P99_MS,
      });
    }
  } finally {
    if (bare) {
      await stopChild(bare);
    }
    await stopChild(child);
    rmSync(path.dirname(bodyFile), { recursive: true, force: true });
  }
  return outcome;
}

/** Starts a scan with POST /v1/scans and waits for it to end; its id, or an error naming its status. */
async function scanOnce(url: string, auth: Record<string, string>): Promise<number> {
  const started = await fetch(`${url}/v1/scans`, { method: 'POST', headers: auth });
  if (started.status !== 202) {
    throw new Error(`POST /v1/scans answered ${started.status}: ${(await started.text()).slice(0, 300)}`);
  }
  const { scan_id: id } = (await started.json()) as { scan_id: number };
  const deadline = Date.now() + SCAN_WAIT_MS;
  for (;;) {
    const scan = (await (await fetch(`${url}/v1/scans/${id}`, { headers: auth })).json()) as { status: string };
    if (scan.status === 'complete') {
      return id;
    }
    if (scan.status !== 'running' || Date.now() > deadline) {
      throw new Error(`scan ${id} is ${scan.status} (waited at most ${SCAN_WAIT_MS} ms)`);
    }
    await sleep(100);
  }
}

/**
 * The API as production runs it, in a process of its own, against the emulator at `emulatorUrl` (IAM, and STS for
 * the service's own account id); resolves once /health/live answers. The caller stops it with stopChild.
 */
export async function startApiProcess(
  emulatorUrl: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  // The embedded store in a folder of its own (removed when the process exits), so a running dev server's ./data
  // lock never stops the bench, and no run sees another's inventory.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-api-data-'));
  const child = track(
    spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...EMULATOR_AWS_ENV,
        AWS_ENDPOINT_URL: emulatorUrl,
        // The bench measures the server, not the token check; the API refuses to run open unless told to.
        ALLOW_UNAUTHENTICATED: 'true',
        METRICS_PORT: '0',
        PORT: String(port),
        HOST: '127.0.0.1',
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '0',
        SHUTDOWN_GRACE_MS: '1000',
        DATA_DIR: dataDir,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForLive(child, url, () => output);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { child, url };
}

async function waitForLive(child: ChildProcess, url: string, output: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`API exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      if ((await fetch(`${url}/health/live`)).ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`API did not start within ${timeoutMs} ms:\n${output()}`);
}
