import { parseArgs } from 'node:util';
import { IamEmulator, seedAccount, seedOrganization, type IamEmulatorOptions } from '@app/iam-emulator';

const USAGE = `Usage: npm run emulator -- [options]   (each flag also reads EMULATOR_<NAME>, e.g. EMULATOR_REPORT_DELAY)
  --port <n>                   port to listen on (default 4566; 0 picks a free one)
  --host <addr>                address to bind (default 127.0.0.1)
  --users <n>                  seeded IAM users (default 300; per account with --accounts)
  --accounts <n>               serve an organization of n accounts (management first) with STS and Organizations
  --nested-ous                 spread member accounts over nested OUs (with --accounts)
  --suspended <n>              the last n member accounts are SUSPENDED (with --accounts)
  --org-page-size <n>          Organizations items per page (default 20)
  --role-name <name>           the role AssumeRole grants (default IamKeyMonitorReadOnly)
  --external-id <id>           AssumeRole requires this ExternalId
  --session-ttl <s>            AssumeRole credentials' lifetime (default DurationSeconds or 3600)
  --assume-role-denied <ids>   account ids whose role AssumeRole refuses
  --seed <n>                   seed for the account and the latency jitter (default 42)
  --latency <ms|min-max>       added to every request (default 0)
  --rate <n>                   IAM requests per second per account before Throttling (default unlimited)
  --burst <n>                  token bucket size for --rate (default: same as --rate)
  --ses-rate <n>               SendEmail per second before TooManyRequestsException (burst = rate)
  --report-delay <ms>          credential report generation time (default 0)
  --report-ttl <ms>            credential report lifetime before ReportExpired (default 4 h)
  --report-never-completes     credential report generation never finishes
  --root-keys [1|2]            give the root user access keys (flag alone means 1)
  --young-fraction <0..1>      users created within the last day (default 0.1)
  --inactive-fraction <0..1>   keys that are Inactive (default 0.2)
  --email-fraction <0..1>      users with an email tag (default 0.6)
  --access-denied <A,B>        IAM actions answered with AccessDenied
  --vanish <user,user>         users listed by ListUsers but gone when asked about
  --reject-recipients <a,b>    SendEmail recipients answered with MessageRejected
  --help`;

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  users: { type: 'string' },
  accounts: { type: 'string' },
  'nested-ous': { type: 'boolean' },
  suspended: { type: 'string' },
  'org-page-size': { type: 'string' },
  'role-name': { type: 'string' },
  'external-id': { type: 'string' },
  'session-ttl': { type: 'string' },
  'assume-role-denied': { type: 'string' },
  seed: { type: 'string' },
  latency: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'ses-rate': { type: 'string' },
  'report-delay': { type: 'string' },
  'report-ttl': { type: 'string' },
  'report-never-completes': { type: 'boolean' },
  'root-keys': { type: 'string' },
  'young-fraction': { type: 'string' },
  'inactive-fraction': { type: 'string' },
  'email-fraction': { type: 'string' },
  'access-denied': { type: 'string' },
  vanish: { type: 'string' },
  'reject-recipients': { type: 'string' },
  help: { type: 'boolean' },
} as const;
type Flag = keyof typeof FLAGS;

class UsageError extends Error {}

/** parseArgs has no optional values, so a bare `--root-keys` becomes `--root-keys=1` before parsing. */
function normalizeArgv(argv: string[]): string[] {
  return argv.map((arg, i) =>
    arg === '--root-keys' && !/^([0-9]+|true|false)$/.test(argv[i + 1] ?? '') ? '--root-keys=1' : arg,
  );
}

function main(): void {
  const { values } = parseArgs({ args: normalizeArgv(process.argv.slice(2)), options: FLAGS, strict: true });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const raw = (flag: Flag): string | boolean | undefined =>
    values[flag] ?? process.env[`EMULATOR_${flag.toUpperCase().replace(/-/g, '_')}`];
  const text = (flag: Flag): string | undefined => {
    const value = raw(flag);
    return value === undefined || typeof value === 'boolean' ? undefined : value;
  };
  const bool = (flag: Flag): boolean => {
    const value = raw(flag);
    return value === true || value === 'true' || value === '1';
  };
  const num = (flag: Flag, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const value = text(flag);
    if (value === undefined) {
      return undefined;
    }
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new UsageError(`--${flag} must be a number between ${min} and ${max}, got "${value}"`);
    }
    return n;
  };
  const list = (flag: Flag): string[] =>
    (text(flag) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);

  const latencyText = text('latency');
  let latencyMs: IamEmulatorOptions['latencyMs'];
  if (latencyText?.includes('-')) {
    const [min, max] = latencyText.split('-').map(Number);
    if (!(min >= 0 && max >= min)) {
      throw new UsageError(`--latency range must look like 5-20, got "${latencyText}"`);
    }
    latencyMs = [min, max];
  } else {
    latencyMs = num('latency');
  }

  const rootKeysText = text('root-keys');
  const rootKeys = rootKeysText === 'true' ? 1 : rootKeysText === 'false' ? 0 : (num('root-keys', 0, 2) ?? 0);
  const seed = num('seed') ?? 42;
  const users = num('users', 0, 1_000_000) ?? 300;
  const rate = num('rate', 0.001);
  const sesRate = num('ses-rate', 0.001);

  const accounts = num('accounts', 1, 10_000);
  const seedOptions = {
    youngUserFraction: num('young-fraction', 0, 1),
    inactiveFraction: num('inactive-fraction', 0, 1),
    emailTagFraction: num('email-fraction', 0, 1),
    rootAccessKeys: rootKeys as 0 | 1 | 2,
  };
  const served: Pick<IamEmulatorOptions, 'account' | 'organization'> = accounts
    ? {
        organization: seedOrganization({
          ...seedOptions,
          seed,
          accounts,
          usersPerAccount: users,
          nestedOus: bool('nested-ous'),
          suspended: num('suspended', 0, accounts - 1),
          pageSize: num('org-page-size', 1, 20),
        }),
      }
    : { account: seedAccount({ ...seedOptions, seed, users }) };

  const emulator = new IamEmulator({
    ...served,
    seed,
    latencyMs,
    rateLimit: rate ? { ratePerSecond: rate, burst: num('burst', 1) ?? Math.max(1, rate) } : undefined,
    sesRateLimit: sesRate ? { ratePerSecond: sesRate, burst: Math.max(1, sesRate) } : undefined,
    reportDelayMs: num('report-delay'),
    reportTtlMs: num('report-ttl', 1),
    memberRoleName: text('role-name'),
    requiredExternalId: text('external-id'),
    sessionTtlSeconds: num('session-ttl', 1),
    faults: {
      reportNeverCompletes: bool('report-never-completes'),
      accessDenied: new Set(list('access-denied')),
      vanishingUsers: new Set(list('vanish')),
      rejectRecipients: new Set(list('reject-recipients')),
      assumeRoleDenied: new Set(list('assume-role-denied')),
    },
  });

  emulator
    .start(num('port', 0, 65535) ?? 4566, text('host') ?? '127.0.0.1')
    .then((url) => {
      // The URL alone on stdout, so scripts can capture it; the rest is for people.
      console.log(url);
      console.error(
        `IAM + STS + Organizations + SES emulator: ${accounts ? `${accounts} accounts × ` : ''}${users} users (seed ${seed}), ` +
          `root keys ${rootKeys}, latency ${JSON.stringify(latencyMs ?? 0)} ms, ` +
          `rate ${rate ? `${rate}/s` : 'unlimited'}. Admin: ${url}/_emulator/{health,counters,emails}. Ctrl-C stops.`,
      );
    })
    .catch((err: unknown) => {
      console.error(`emulator failed to start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });

  const shutdown = () => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

try {
  main();
} catch (err) {
  if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) {
    console.error(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  throw err;
}
