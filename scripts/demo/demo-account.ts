import { DEFAULT_MEMBER_ROLE_NAME, seedAccount, seedOrganization, type IamEmulatorOptions } from '@app/iam-emulator';

export interface DemoSetup {
  /** What the emulator serves: one account, or an organization of `accounts` accounts. */
  emulator: IamEmulatorOptions;
  accounts: number;
  /** Users in each account. */
  users: number;
  /** Which accounts the API scans and how it gets in (the STS and Organizations endpoints are set beside IAM's). */
  accountsEnv: Record<string, string>;
}

/** Bounds that keep `npm run demo` a demo: a typo in DEMO_ACCOUNTS must not seed a thousand accounts. */
const MAX_ACCOUNTS = 20;

function integerFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * What `npm run demo` serves: by default an organization of three accounts (the management account and two
 * members, DEMO_USERS users each, default 100) scanned through Organizations and AssumeRole as in production;
 * `DEMO_ACCOUNTS=1` serves the single account of 300 users the demo showed before. The README's sample answers
 * are generated from the defaults (scripts/readme-samples.ts).
 */
export function demoSetup(env: NodeJS.ProcessEnv = process.env): DemoSetup {
  const accounts = integerFrom(env, 'DEMO_ACCOUNTS', 3, 1, MAX_ACCOUNTS);
  const users = integerFrom(env, 'DEMO_USERS', accounts === 1 ? 300 : 100, 0, 100_000);
  const seed = integerFrom(env, 'DEMO_SEED', 42, 0, 2 ** 31 - 1);
  const common: IamEmulatorOptions = { latencyMs: [5, 15], reportDelayMs: 1500 };
  if (accounts === 1) {
    return {
      accounts,
      users,
      emulator: { ...common, account: seedAccount({ seed, users, rootAccessKeys: 1 }) },
      accountsEnv: { ACCOUNTS_SOURCE: 'self' },
    };
  }
  return {
    accounts,
    users,
    emulator: {
      ...common,
      organization: seedOrganization({ seed, accounts, usersPerAccount: users, rootAccessKeys: 1 }),
      memberRoleName: DEFAULT_MEMBER_ROLE_NAME,
    },
    accountsEnv: { ACCOUNTS_SOURCE: 'organizations', ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME },
  };
}

/**
 * The default demo (whatever DEMO_* says in this shell) as options of test/support/api-harness: what the README
 * samples describe, a plain `npm run demo`. Seeded afresh on each call, so every API gets its own emulator state.
 */
export function demoHarnessOptions(env: Record<string, string> = {}): {
  emulator: IamEmulatorOptions;
  env: Record<string, string>;
} {
  const setup = demoSetup({});
  return { emulator: setup.emulator, env: { ...setup.accountsEnv, ...env } };
}

export interface DemoSample {
  /** The README marker: `<!-- demo-sample:${id} -->` ... `<!-- /demo-sample -->` around a json block. */
  id: 'list-users' | 'credential-report';
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, unknown>;
}

/** Two years: old enough that the README's sample answers stay a page long on the demo organization. */
export const SAMPLE_HOURS = 17_520;

/** The two requests the README shows, exactly as its curl commands send them. */
export const DEMO_SAMPLES: readonly DemoSample[] = [
  {
    id: 'list-users',
    method: 'GET',
    path: `/v1/iam/old-access-keys/list-users?hours=${SAMPLE_HOURS}&include_inactive=true`,
  },
  {
    id: 'credential-report',
    method: 'POST',
    path: '/v1/iam/old-access-keys/credential-report',
    body: { hours: SAMPLE_HOURS, include_inactive: false },
  },
];
