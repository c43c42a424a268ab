import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EMULATOR_AWS_ENV, IamEmulator, seedAccount } from '@app/iam-emulator';
import { askOldKeys } from '../support/api-client';
import { ROOT, startApiOnEmulator } from '../support/api-harness';
import { repoPath } from './deploy-files';

/** Every IAM action the emulator answers; each run denies those outside the app's policy, as AWS would. */
const EMULATED_IAM_ACTIONS = [
  'GenerateCredentialReport',
  'GetAccessKeyLastUsed',
  'GetCredentialReport',
  'ListAccessKeys',
  'ListUserTags',
  'ListUsers',
];
const TOKEN = 'policy-check-token-0123456789abcdef';

function policyActions(app: 'api' | 'notifier'): string[] {
  const policy = JSON.parse(readFileSync(repoPath(`deploy/aws/iam-policy-${app}.json`), 'utf8')) as {
    Statement: { Action: string | string[] }[];
  };
  return policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
}

/** The IAM actions an emulator saw, named as a policy names them. */
function actionsSeen(emulator: IamEmulator): string[] {
  return Object.keys(emulator.counters.requests)
    .map((action) => (action === 'SendEmail' ? 'ses:SendEmail' : `iam:${action}`))
    .sort();
}

function deniedOutside(actions: string[]): string[] {
  return EMULATED_IAM_ACTIONS.filter((action) => !actions.includes(`iam:${action}`));
}

/**
 * Each policy is checked against what its app really sends: the app runs every path it has against the local
 * emulator, which answers AccessDenied to any IAM action outside that policy. The app must succeed, and the
 * actions it sent must be exactly the policy's.
 */
describe('each app works with its own IAM policy and needs all of it', () => {
  it('the API (deploy/aws/iam-policy-api.json): readiness, list-users and credential-report', async () => {
    const allowed = policyActions('api');
    const h = await startApiOnEmulator({
      emulator: {
        account: seedAccount({ seed: 71, users: 20 }),
        faults: { accessDenied: new Set(deniedOutside(allowed)) },
      },
      env: { API_TOKENS: TOKEN, SCAN_CACHE_TTL_SECONDS: '0' },
    });
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      const q = { hours: 0, includeInactive: true };
      expect((await fetch(`${h.url}/health/ready`)).status).toBe(200);
      expect((await askOldKeys(h.url, 'list-users', q, auth)).status).toBe(200);
      expect((await askOldKeys(h.url, 'credential-report', q, auth)).status).toBe(200);
      expect(h.emulator.counters.totalErrors).toBe(0);
      expect(actionsSeen(h.emulator)).toEqual(allowed);
    } finally {
      await h.close();
    }
  });

  it('the notifier (deploy/aws/iam-policy-notifier.json): one run that mails owners and the security team', async () => {
    const allowed = policyActions('notifier');
    const emulator = new IamEmulator({
      account: seedAccount({ seed: 72, users: 40 }),
      faults: { accessDenied: new Set(deniedOutside(allowed)) },
    });
    try {
      const endpoint = await emulator.start(0, '127.0.0.1');
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/notifier/src/main.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          ...EMULATOR_AWS_ENV,
          AWS_ENDPOINT_URL: endpoint,
          NODE_ENV: 'production',
          NOTIFIER_SENDER: 'keys@example.com',
          NOTIFIER_FALLBACK_RECIPIENTS: 'security@example.com',
        },
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

      expect({ code, output }).toEqual({ code: 0, output: expect.any(String) as string });
      expect(emulator.counters.totalErrors).toBe(0);
      expect(emulator.counters.requests.SendEmail).toBeGreaterThan(0);
      expect(actionsSeen(emulator)).toEqual(allowed);
    } finally {
      await emulator.stop();
    }
  }, 60_000);
});
