import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { EMULATOR_AWS_ENV } from '@app/iam-emulator';
import { freePort } from '../../../test/support/free-port';
import { stopChild, track } from '../children';
import type { KeyRecord } from '../emulator-protocol';
import { fixed, int, ms, sec } from '../markdown';
import { checkKeys, keysOk } from '../measure';
import { keysCell, wholeSecondNow, type BenchContext, type SectionOutcome } from '../section';

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

/**
 * The real API in its own process (apps/api/src/main.ts), its IAM endpoint on the emulator worker:
 * one request warms the shared scan cache, then autocannon measures the route served from it.
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
  const { child, url } = await startApiProcess(started.url, { SCAN_CACHE_TTL_SECONDS: '600' });
  try {
    ctx.progress(`api: warming ${ROUTE} (one list-users scan of ${int(started.users)} users)`);
    const warmStarted = performance.now();
    const warmBeforeMs = Date.now();
    const res = await fetch(`${url}${ROUTE}`);
    const warmMs = performance.now() - warmStarted;
    const warmAfterMs = Date.now();
    if (!res.ok) {
      throw new Error(`warm-up request answered ${res.status}: ${await res.text()}`);
    }
    const body = (await res.json()) as ListUsersBody;
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

    await ctx.worker.request({ op: 'resetCounters' });
    ctx.progress(`api: autocannon, ${sizes.connections} connections for ${sizes.durationSeconds} s`);
    const result = await autocannon({
      url: `${url}${ROUTE}`,
      connections: sizes.connections,
      duration: sizes.durationSeconds,
    });
    const iamDuringLoad = (await ctx.worker.request({ op: 'counters' })).totalIamRequests;

    outcome.tables.push({
      title: 'API under load: warm list-users route',
      note:
        `The API as its own process (node -r @swc-node/register apps/api/src/main.ts, NODE_ENV=production, LOG_LEVEL=warn, ` +
        `RATE_LIMIT_PER_MINUTE=0, SCAN_CACHE_TTL_SECONDS=600 so the cache outlives the run) against ${int(started.users)} emulated users ` +
        `(${sizes.latencyMs[0]}–${sizes.latencyMs[1]} ms per call). One request warms the shared scan, whose answer is checked against ` +
        `the emulator; then autocannon runs in the bench process with ${sizes.connections} connections for ${sizes.durationSeconds} s ` +
        `on GET ${ROUTE} (${int(check.returned)} keys per answer).`,
      headers: [
        'first request (cold scan)',
        'requests',
        'requests/s',
        'p50',
        'p99',
        'max',
        'non-2xx',
        'errors + timeouts',
        'IAM calls during the load',
        'warm answer',
      ],
      rows: [
        [
          sec(warmMs),
          int(result.requests.total),
          fixed(result.requests.average, 0),
          ms(result.latency.p50),
          ms(result.latency.p99),
          ms(result.latency.max),
          int(result.non2xx),
          int(result.errors + result.timeouts),
          int(iamDuringLoad),
          keysCell(check),
        ],
      ],
    });
  } finally {
    await stopChild(child);
  }
  return outcome;
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
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
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
