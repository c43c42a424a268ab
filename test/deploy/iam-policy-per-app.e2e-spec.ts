import { freshDataDir } from '../support/embedded-store';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  EMULATOR_AWS_ENV,
  IamAccount,
  IamEmulator,
  seedAccount,
  seedOrganization,
  type EmulatedOrganization,
  type IamEmulatorOptions,
} from '@app/iam-emulator';
import { parse as parseYaml } from 'yaml';
import { LadderRepository, loadMigrations, openStoreEngine, RemediationRepository, runMigrations } from '@app/store';
import { askOldKeys } from '../support/api-client';
import { ROOT, startApiOnEmulator } from '../support/api-harness';
import { repoPath } from './deploy-files';

/** Every action the emulator answers, as a policy names it; each run denies those outside the policy, as AWS would. */
const EMULATED_ACTIONS = [
  'iam:DeleteAccessKey',
  'iam:GenerateCredentialReport',
  'iam:GetAccessKeyLastUsed',
  'iam:GetCredentialReport',
  'iam:ListAccessKeys',
  'iam:ListUserTags',
  'iam:ListUsers',
  'iam:UpdateAccessKey',
  'organizations:DescribeOrganization',
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListChildren',
  'organizations:ListRoots',
  'sts:AssumeRole',
];
const SERVICE_OF: Record<string, string> = {
  AssumeRole: 'sts',
  GetCallerIdentity: 'sts',
  DescribeOrganization: 'organizations',
  ListAccounts: 'organizations',
  ListAccountsForParent: 'organizations',
  ListChildren: 'organizations',
  ListRoots: 'organizations',
  SendEmail: 'ses',
};
/** AWS answers it whatever the policy says, so no policy grants it. */
const NEEDS_NO_PERMISSION = 'sts:GetCallerIdentity';
const TOKEN = 'policy-check-token-0123456789abcdef';

/** The runs that together take every path: the own account alone, then the organization listed whole and by OU. */
const ACCOUNT_MODES: Record<string, string>[] = [
  {},
  { ACCOUNTS_SOURCE: 'organizations', ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME },
  { ACCOUNTS_SOURCE: 'organizations', ACCOUNT_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME, ORG_INCLUDE_OUS: 'r-0000' },
];

function policyActions(app: 'api' | 'notifier' | 'remediator' | 'remediator-deletion'): string[] {
  const policy = JSON.parse(readFileSync(repoPath(`deploy/aws/iam-policy-${app}.json`), 'utf8')) as {
    Statement: { Action: string | string[] }[];
  };
  return policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
}

/** What the member role (deploy/aws/member-role.cfn.yaml) lets the scanner do inside a member account. */
function memberRoleActions(): string[] {
  const template = parseYaml(readFileSync(repoPath('deploy/aws/member-role.cfn.yaml'), 'utf8')) as {
    Resources: Record<
      string,
      { Properties: { Policies: { PolicyDocument: { Statement: { Action: string[] }[] } }[] } }
    >;
  };
  // The read-only role only: the optional remediation role (RemediationRole) is for the remediator's writes.
  return template.Resources.MemberRole.Properties.Policies.flatMap((p) =>
    p.PolicyDocument.Statement.flatMap((s) => s.Action),
  );
}

const named = (action: string) => `${SERVICE_OF[action] ?? 'iam'}:${action}`;

/** The actions the scanner's own credentials sent (AssumeRole is counted in the account it enters). */
function actionsSeen(emulator: IamEmulator, ownAccountId: string): string[] {
  const own = Object.keys(emulator.countersFor(ownAccountId).requests).map(named);
  const assumed = emulator.counters.requests.AssumeRole ? ['sts:AssumeRole'] : [];
  return [...own, ...assumed].filter((action) => action !== NEEDS_NO_PERMISSION);
}

const deniedOutside = (allowed: string[]) =>
  new Set(EMULATED_ACTIONS.filter((action) => !allowed.includes(action)).map((action) => action.split(':')[1]));

/** The own account denies what the app's policy does not grant; each member what the member role does not. */
function emulatorFor(mode: Record<string, string>, allowed: string[], seed: number, users: number): IamEmulatorOptions {
  const faults = { accessDenied: deniedOutside(allowed) };
  if (!mode.ACCOUNTS_SOURCE) {
    return { account: seedAccount({ seed, users }), faults };
  }
  const organization: EmulatedOrganization = seedOrganization({
    seed,
    accounts: 3,
    usersPerAccount: users,
    nestedOus: true,
  });
  for (const member of organization.accounts.filter((a) => a.id !== organization.managementAccountId)) {
    member.faults = { accessDenied: deniedOutside(memberRoleActions()) };
  }
  return { organization, faults };
}

const ownAccountOf = (options: IamEmulatorOptions) => options.organization?.managementAccountId ?? '111111111111';

/**
 * Each policy is checked against what its app really sends: the app runs every path it has (its own account, then
 * an organization read whole and by OU) against the local emulator, which answers AccessDenied to any action
 * outside that policy, and inside member accounts to any outside the member role. The app must succeed, and the
 * actions its own credentials sent must be exactly the policy's.
 */
describe('each app works with its own IAM policy and needs all of it', () => {
  it('the API (deploy/aws/iam-policy-api.json): readiness, list-users, credential-report and the inventory', async () => {
    const allowed = policyActions('api');
    const seen = new Set<string>();
    for (const mode of ACCOUNT_MODES) {
      const options = emulatorFor(mode, allowed, 71, 20);
      const h = await startApiOnEmulator({
        emulator: options,
        env: { API_TOKENS: TOKEN, SCAN_CACHE_TTL_SECONDS: '0', ...mode },
      });
      try {
        const auth = { authorization: `Bearer ${TOKEN}` };
        const q = { hours: 0, includeInactive: true };
        expect((await fetch(`${h.url}/health/ready`)).status).toBe(200);
        expect((await askOldKeys(h.url, 'list-users', q, auth)).status).toBe(200);
        expect((await askOldKeys(h.url, 'credential-report', q, auth)).status).toBe(200);
        for (const source of ['credential-report', 'list-users']) {
          const inventory = await fetch(`${h.url}/v1/iam/access-keys?source=${source}&max_age_seconds=0`, {
            headers: auth,
          });
          expect({ source, status: inventory.status }).toEqual({ source, status: 200 });
        }
        expect({ mode, errors: h.emulator.counters.errors }).toEqual({ mode, errors: {} });
        actionsSeen(h.emulator, ownAccountOf(options)).forEach((action) => seen.add(action));
      } finally {
        await h.close();
      }
    }
    expect([...seen].sort()).toEqual(allowed);
  }, 60_000);

  it('the notifier (deploy/aws/iam-policy-notifier.json): runs that mail owners and the security team', async () => {
    const allowed = policyActions('notifier');
    const seen = new Set<string>();
    for (const mode of ACCOUNT_MODES) {
      const options = emulatorFor(mode, allowed, 72, 40);
      const emulator = new IamEmulator(options);
      // A store of its own per run: a ladder kept from an earlier run would rightly send nothing new.
      const store = await freshDataDir();
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
            DATA_DIR: store.dir,
            ...mode,
          },
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

        expect({ mode, code, output }).toEqual({ mode, code: 0, output: expect.any(String) as string });
        expect({ mode, errors: emulator.counters.errors }).toEqual({ mode, errors: {} });
        expect(emulator.counters.requests.SendEmail).toBeGreaterThan(0);
        actionsSeen(emulator, ownAccountOf(options)).forEach((action) => seen.add(action));
      } finally {
        await emulator.stop();
        store.remove();
      }
    }
    expect([...seen].sort()).toEqual(allowed);
  }, 120_000);
});

/** What the optional remediation role of the member template grants (deletion included, as AllowKeyDeletion=true). */
function remediationRoleActions(): string[] {
  const template = parseYaml(readFileSync(repoPath('deploy/aws/member-role.cfn.yaml'), 'utf8')) as {
    Resources: { RemediationRole: { Properties: { Policies: { PolicyDocument: { Statement: unknown[] } }[] } } };
  };
  const statements = template.Resources.RemediationRole.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
  return statements.flatMap((st) => {
    const statement = (st as { 'Fn::If'?: [string, { Action: string[] }, unknown] })['Fn::If']?.[1] ?? st;
    return (statement as { Action: string[] }).Action;
  });
}

describe('the remediator works with its own IAM policy and needs all of it', () => {
  const DAY_MS = 86_400_000;
  const MEMBER = '222222222222';
  // One instant for the emulator's keys and the store's ladders: the ladder's creation date must be the key's own.
  const T0 = Date.now();
  const ago = (days: number) => new Date(T0 - days * DAY_MS);

  /** Per account: a key past its grace, a key we deactivated 40 days ago, a key in its grace period. */
  function accountWithKeys(accountId: string): IamAccount {
    const account = new IamAccount({ accountId });
    account.addUser({ userName: 'due', accessKeys: [{ accessKeyId: `AKIADUE${accountId}0`, createDate: ago(100) }] });
    account.addUser({
      userName: 'done',
      accessKeys: [{ accessKeyId: `AKIADONE${accountId}`, createDate: ago(140), status: 'Inactive' }],
    });
    account.addUser({ userName: 'grace', accessKeys: [{ accessKeyId: `AKIAGRC${accountId}0`, createDate: ago(80) }] });
    return account;
  }

  async function seedStore(dataDir: string, accountIds: string[]): Promise<void> {
    const engine = await openStoreEngine({ engine: 'pglite', dataDir, display: dataDir });
    try {
      await engine.withSession((session) => runMigrations(session, loadMigrations()));
      const ladders = new LadderRepository(engine);
      const remediation = new RemediationRepository(engine);
      const run = await remediation.startRun('enforce', ago(40));
      for (const accountId of accountIds) {
        const keys: Array<[string, string, number]> = [
          ['due', `AKIADUE${accountId}0`, 30],
          ['grace', `AKIAGRC${accountId}0`, 2],
        ];
        for (const [userName, accessKeyId, finalDaysAgo] of keys) {
          const [ladder] = await ladders.open([
            { accountId, accessKeyId, userName, keyCreatedAt: ago(100), openedAt: ago(60) },
          ]);
          for (const [stage, days] of [
            ['final', finalDaysAgo],
            ['expired', finalDaysAgo - 1],
          ] as const) {
            await ladders.recordStage({
              ladderId: ladder.id,
              accountId,
              accessKeyId,
              stage,
              recipient: `${userName}@example.com`,
              sesMessageId: `m-${accessKeyId}-${stage}`,
              sentAt: ago(days),
            });
          }
        }
        await remediation.record([
          {
            runId: run,
            accountId,
            userName: 'done',
            accessKeyId: `AKIADONE${accountId}`,
            outcome: 'deactivated',
            reason: 'expired-past-grace',
            mode: 'enforce',
            decidedAt: ago(40),
          },
        ]);
      }
      await remediation.finishRun(run, 'complete', ago(40), {});
    } finally {
      await engine.close();
    }
  }

  it.each([
    ['its own account', false],
    ['its own account and a member through the remediation role', true],
  ])(
    '%s: deactivates, deletes, mails, and sends exactly the policy and its deletion add-on',
    async (_, withMember) => {
      const allowed = [...policyActions('remediator'), ...policyActions('remediator-deletion')].sort();
      const faults = { accessDenied: deniedOutside(allowed) };
      const own = accountWithKeys('111111111111');
      const options: IamEmulatorOptions = withMember
        ? {
            organization: {
              managementAccountId: '111111111111',
              accounts: [
                { id: '111111111111', name: 'management', account: own },
                {
                  id: MEMBER,
                  name: 'member',
                  account: accountWithKeys(MEMBER),
                  faults: { accessDenied: deniedOutside(remediationRoleActions()) },
                },
              ],
            },
            otherRoleNames: ['IamKeyMonitorRemediation'],
            faults,
          }
        : { account: own, faults };
      const accountIds = withMember ? ['111111111111', MEMBER] : ['111111111111'];
      const dataDir = mkdtempSync(join(tmpdir(), 'remediator-policy-'));
      const emulator = new IamEmulator(options);
      try {
        await seedStore(dataDir, accountIds);
        const endpoint = await emulator.start(0, '127.0.0.1');
        const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/remediator/src/main.ts'], {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            ...EMULATOR_AWS_ENV,
            AWS_ENDPOINT_URL: endpoint,
            NODE_ENV: 'production',
            DATA_DIR: dataDir,
            NOTIFIER_SENDER: 'keys@example.com',
            NOTIFIER_FALLBACK_RECIPIENTS: 'security@example.com',
            REMEDIATION_MODE: 'enforce',
            REMEDIATION_ACCOUNTS: accountIds.join(','),
            REMEDIATION_WINDOW: 'Sun-Sat 00-24',
            REMEDIATION_DELETE_AFTER_DAYS: '30',
            REMEDIATION_SPARE_USED_WITHIN_HOURS: '1',
          },
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

        expect({ code, output }).toEqual({ code: 0, output: expect.any(String) as string });
        expect(emulator.counters.errors).toEqual({});
        for (const accountId of accountIds) {
          const account = emulator.iamAccount(accountId);
          expect(account.findAccessKey(`AKIADUE${accountId}0`)?.key.status).toBe('Inactive');
          expect(account.findAccessKey(`AKIADONE${accountId}`)).toBeUndefined();
          expect(account.findAccessKey(`AKIAGRC${accountId}0`)?.key.status).toBe('Active');
        }
        expect(emulator.sentEmails.map((e) => e.subject)).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^Will be deactivated on /),
            expect.stringMatching(/^Deactivated: /),
          ]),
        );
        // Only entering a member assumes a role: between them the two runs send every action the policy grants.
        const expected = withMember ? allowed : allowed.filter((action) => action !== 'sts:AssumeRole');
        expect(actionsSeen(emulator, '111111111111').sort()).toEqual(expected);
        if (withMember) {
          expect(Object.keys(emulator.countersFor(MEMBER).requests).sort()).toEqual([
            'AssumeRole',
            'DeleteAccessKey',
            'GetAccessKeyLastUsed',
            'ListAccessKeys',
            'ListUserTags',
            'UpdateAccessKey',
          ]);
        }
      } finally {
        await emulator.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
