/**
 * `npm run bench`: the scans against the local IAM emulator (in a child process), side by side in one
 * session so the ratios hold on a noisy machine. Prints Markdown tables and writes docs/BENCHMARKS.md.
 * Speed is reported, never asserted: the exit code is non-zero only if something crashed or a scan
 * returned the wrong keys.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installChildCleanup } from './bench/children';
import { EmulatorWorkerClient } from './bench/emulator-worker.client';
import { renderTable, type Table } from './bench/markdown';
import { canCollectGarbage } from './bench/measure';
import type { BenchContext, SectionOutcome, TargetRow } from './bench/section';
import { apiLoad, type ApiSizes } from './bench/sections/api';
import { credentialReport, type CredentialReportSizes } from './bench/sections/credential-report';
import { inventoryRoute, type InventorySizes } from './bench/sections/inventory';
import { latencyBound, type LatencyBoundSizes } from './bench/sections/latency-bound';
import { organizationScan, type OrganizationSizes } from './bench/sections/organization';
import { parseReports, type ParseSizes } from './bench/sections/parse';
import { rateBound, type RateBoundSizes } from './bench/sections/rate-bound';
import { verdict } from './bench/verdict';

interface Sizes {
  latency: LatencyBoundSizes;
  rate: RateBoundSizes;
  report: CredentialReportSizes;
  parse: ParseSizes;
  api: ApiSizes;
  org: OrganizationSizes;
  inventory: InventorySizes;
}

const FULL: Sizes = {
  latency: { users: 5000, latencyMs: [10, 20] },
  rate: { users: 1400, latencyMs: [10, 20], ratePerSecond: 20, burst: 5 },
  report: { users: 5000, latencyMs: [10, 20], reportDelayMs: 500, changedUsers: 50 },
  parse: { rows: [5000, 50_000], runs: 5 },
  api: { users: 5000, latencyMs: [10, 20], connections: 50, durationSeconds: 10 },
  org: {
    smallAccounts: 200,
    smallUsers: 50,
    largeAccounts: 3,
    largeUsers: 5000,
    latencyMs: [10, 20],
    ratePerSecond: 20,
    burst: 5,
    reportDelayMs: 500,
  },
  inventory: { users: 5000, latencyMs: [10, 20], reportDelayMs: 500 },
};

/** Tiny sizes for CI: every code path runs, in well under a minute. */
const QUICK: Sizes = {
  latency: { users: 200, latencyMs: [1, 2] },
  rate: { users: 100, latencyMs: [1, 2], ratePerSecond: 20, burst: 5 },
  report: { users: 200, latencyMs: [1, 2], reportDelayMs: 50, changedUsers: 5 },
  parse: { rows: [2000], runs: 3 },
  api: { users: 200, latencyMs: [1, 2], connections: 50, durationSeconds: 2 },
  org: {
    smallAccounts: 5,
    smallUsers: 5,
    largeAccounts: 1,
    largeUsers: 50,
    latencyMs: [1, 2],
    ratePerSecond: 20,
    burst: 5,
    reportDelayMs: 50,
  },
  inventory: { users: 50, latencyMs: [1, 2], reportDelayMs: 50 },
};

const SECTIONS = {
  latency: (ctx: BenchContext, sizes: Sizes) => latencyBound(ctx, sizes.latency),
  rate: (ctx: BenchContext, sizes: Sizes) => rateBound(ctx, sizes.rate),
  report: (ctx: BenchContext, sizes: Sizes) => credentialReport(ctx, sizes.report),
  parse: (ctx: BenchContext, sizes: Sizes) => parseReports(ctx, sizes.parse),
  api: (ctx: BenchContext, sizes: Sizes) => apiLoad(ctx, sizes.api),
  org: (ctx: BenchContext, sizes: Sizes) => organizationScan(ctx, sizes.org),
  inventory: (ctx: BenchContext, sizes: Sizes) => inventoryRoute(ctx, sizes.inventory),
};
type SectionName = keyof typeof SECTIONS;
const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];

const USAGE = `Usage: npm run bench -- [options]
  --quick          tiny sizes (CI); does not write docs/BENCHMARKS.md unless --write is given
  --write          write docs/BENCHMARKS.md (the default without --quick and --only)
  --no-write       never write docs/BENCHMARKS.md
  --only <a,b>     run only these sections: ${SECTION_NAMES.join(', ')}
  --help`;

const DOC = path.resolve(__dirname, '../docs/BENCHMARKS.md');

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean' },
      only: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const only = values.only?.split(',').map((s) => s.trim()) ?? SECTION_NAMES;
  const unknown = only.filter((s) => !SECTION_NAMES.includes(s as SectionName));
  if (unknown.length > 0) {
    console.error(`unknown section ${unknown.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const quick = values.quick ?? false;
  const write = !values['no-write'] && (values.write ?? (!quick && values.only === undefined));
  const sizes = quick ? QUICK : FULL;
  if (!canCollectGarbage()) {
    console.error('bench: run with node --expose-gc (npm run bench does) for comparable memory figures');
  }

  installChildCleanup();
  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0];
  // Read now: the code under test is loaded at start, and others may commit while the bench runs.
  const revision = gitRevision();
  const worker = await EmulatorWorkerClient.spawn();
  const ctx: BenchContext = {
    quick,
    worker,
    progress: (message) => process.stderr.write(`[bench ${elapsed(startedAt)}] ${message}\n`),
  };
  const tables: Table[] = [];
  const targets: TargetRow[] = [];
  const failures: string[] = [];
  const crashes: string[] = [];
  try {
    for (const name of only as SectionName[]) {
      let outcome: SectionOutcome;
      try {
        outcome = await SECTIONS[name](ctx, sizes);
      } catch (err) {
        const message = `section ${name} crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
        crashes.push(message);
        console.error(message);
        continue;
      }
      for (const table of outcome.tables) {
        process.stdout.write(`\n${renderTable(table)}`);
      }
      tables.push(...outcome.tables);
      targets.push(...outcome.targets);
      failures.push(...outcome.failures);
    }
  } finally {
    await worker.close();
  }

  const targetTable: Table = {
    title: 'Targets',
    note: quick
      ? 'Quick mode: tiny sizes and 1–2 ms latency, so the timing targets are not expected to hold here; only correctness is asserted.'
      : 'Measured by this run; nothing here is hard-coded.',
    headers: ['target', 'measured', 'met'],
    rows: targets.map((t) => [t.target, t.measured, verdict(t.met, quick)]),
  };
  process.stdout.write(`\n${renderTable(targetTable)}`);
  for (const failure of failures) {
    console.error(`CORRECTNESS: ${failure}`);
  }

  if (write) {
    if (crashes.length > 0) {
      console.error(`bench: not writing ${path.relative(process.cwd(), DOC)}, a section crashed`);
    } else {
      const load = `${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`;
      writeFileSync(DOC, renderDocument({ startedAt, argv, quick, tables, targetTable, failures, load, revision }));
      process.stderr.write(`bench: wrote ${path.relative(process.cwd(), DOC)}\n`);
    }
  }
  process.stderr.write(`bench: finished in ${elapsed(startedAt)}\n`);
  return crashes.length > 0 || failures.length > 0 ? 1 : 0;
}

function elapsed(since: Date): string {
  return `${((Date.now() - since.getTime()) / 1000).toFixed(0)} s`;
}

function gitRevision(): string {
  try {
    const run = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: 'pipe' }).trim();
    const dirty = run('status', '--porcelain', '--', 'libs', 'apps').length > 0;
    return `${run('rev-parse', '--short', 'HEAD')}${dirty ? ' (with uncommitted changes under libs/ or apps/)' : ''}`;
  } catch {
    return 'unknown';
  }
}

interface DocumentInput {
  startedAt: Date;
  argv: string[];
  quick: boolean;
  tables: Table[];
  targetTable: Table;
  failures: string[];
  /** One-minute load average: other work on the machine skews absolute times more than ratios. */
  load: string;
  /** HEAD when the bench started and loaded the code. */
  revision: string;
}

function renderDocument(input: DocumentInput): string {
  const cpus = os.cpus();
  const command = `npm run bench${input.argv.length ? ` -- ${input.argv.join(' ')}` : ''}`;
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`${command}\` (\`scripts/bench.ts\`); re-run it to refresh this page. Every number below was measured by`,
    'that run, side by side in one session. The IAM emulator runs in a child process (`scripts/bench/emulator-worker.ts`)',
    "so its event loop does not share the scanner's thread; the scans use the real `IamModule` (client provider, per-account",
    'client registry, strategies, limiter, organization scan) built by Nest, the real AWS SDK over HTTP on loopback (IAM,',
    "STS and Organizations), and fake credentials. Every scan's keys are compared exactly with what the emulator holds; a",
    'wrong answer makes the run fail, a missed speed target does not.',
    '',
    '| | |',
    '| --- | --- |',
    `| date | ${input.startedAt.toISOString()} |`,
    `| machine | ${os.availableParallelism()} CPUs (nproc), ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 1024 ** 3)} GB RAM, ${os.platform()} ${os.release()} |`,
    `| load average (1 min) | ${input.load} |`,
    `| Node | ${process.version} |`,
    `| command | \`${command}\` |`,
    `| revision | ${input.revision} (when the run started) |`,
    `| mode | ${input.quick ? 'quick (tiny sizes)' : 'full'} |`,
    '',
    '`npm run bench -- --quick` runs every section at tiny sizes (CI runs `npm run bench -- --quick --no-write`; it',
    'writes this page only with `--write`); `--only latency,rate,report,parse,api,org,inventory` picks sections; `--no-write` prints only.',
    '',
    renderTable({ ...input.targetTable, title: 'Targets' }).replace(/^### /, '## '),
  ];
  if (input.failures.length > 0) {
    lines.push('## Correctness failures', '', ...input.failures.map((f) => `- ${f}`), '');
  }
  lines.push('## Results', '');
  for (const table of input.tables) {
    lines.push(renderTable(table));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
