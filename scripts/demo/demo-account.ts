import { seedAccount, type IamEmulatorOptions } from '@app/iam-emulator';

/** The account `npm run demo` serves; the README's sample answers are generated from it (scripts/readme-samples.ts). */
export function demoEmulatorOptions(env: NodeJS.ProcessEnv = process.env): IamEmulatorOptions & { users: number } {
  const users = Number(env.DEMO_USERS ?? 300);
  return {
    users,
    account: seedAccount({ seed: Number(env.DEMO_SEED ?? 42), users, rootAccessKeys: 1 }),
    latencyMs: [5, 15],
    reportDelayMs: 1500,
  };
}

export interface DemoSample {
  /** The README marker: `<!-- demo-sample:${id} -->` ... `<!-- /demo-sample -->` around a json block. */
  id: 'list-users' | 'credential-report';
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, unknown>;
}

/** The two requests the README shows, exactly as its curl commands send them. */
export const DEMO_SAMPLES: readonly DemoSample[] = [
  { id: 'list-users', method: 'GET', path: '/v1/iam/old-access-keys/list-users?hours=2160&include_inactive=true' },
  {
    id: 'credential-report',
    method: 'POST',
    path: '/v1/iam/old-access-keys/credential-report',
    body: { hours: 2160, include_inactive: false },
  },
];
