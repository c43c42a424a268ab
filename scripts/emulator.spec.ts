import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { EMULATOR_AWS_ENV } from '@app/iam-emulator';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..');
const CREDENTIALS = {
  accessKeyId: EMULATOR_AWS_ENV.AWS_ACCESS_KEY_ID,
  secretAccessKey: EMULATOR_AWS_ENV.AWS_SECRET_ACCESS_KEY,
};
const REGION = EMULATOR_AWS_ENV.AWS_REGION;

/** Starts `npm run emulator`'s script and resolves to the URL it prints first on stdout. */
async function startScript(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'scripts/emulator.ts', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`emulator script exited with ${String(code)}`);
  });
  exited.catch(() => undefined);
  const [url] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  return { child, url };
}

describe('scripts/emulator.ts', () => {
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('serves an organization of EMULATOR_ACCOUNTS accounts, each reachable through AssumeRole', async () => {
    const started = await startScript({ EMULATOR_ACCOUNTS: '3', EMULATOR_USERS: '4', EMULATOR_SUSPENDED: '1' });
    child = started.child;
    const config = { endpoint: started.url, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
    const organizations = new OrganizationsClient(config);
    const sts = new STSClient(config);

    const accounts: [string | undefined, string | undefined][] = [];
    for await (const page of paginateListAccounts({ client: organizations }, {})) {
      accounts.push(...(page.Accounts ?? []).map((account) => [account.Id, account.Status] as [string, string]));
    }
    const assumed = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::200000000001:role/IamKeyMonitorReadOnly',
        RoleSessionName: 'script-spec',
      }),
    );
    const memberIam = new IAMClient({
      ...config,
      credentials: {
        accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
        secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
        sessionToken: assumed.Credentials?.SessionToken,
      },
    });
    const users = await memberIam.send(new ListUsersCommand({}));
    [organizations, sts, memberIam].forEach((client) => client.destroy());

    expect(accounts).toEqual([
      ['111111111111', 'ACTIVE'],
      ['200000000001', 'ACTIVE'],
      ['200000000002', 'SUSPENDED'],
    ]);
    expect(users.Users?.map((user) => user.Arn?.split(':')[4])).toEqual(Array<string>(4).fill('200000000001'));
  }, 30_000);
});
