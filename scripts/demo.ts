/**
 * `npm run demo`: the API on a seeded demo organization (three accounts; `DEMO_ACCOUNTS=1` for one account)
 * served by the local IAM emulator, so people can see the service work before they give it any AWS credentials.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IamEmulator } from '@app/iam-emulator';
import { demoSetup } from './demo/demo-account';

/** Which variable moves each port the demo listens on, for the message when one is taken. */
const PORT_VARIABLES = ['PORT', 'METRICS_PORT', 'DEMO_EMULATOR_PORT'] as const;

async function main(): Promise<void> {
  const setup = demoSetup();
  const emulator = new IamEmulator(setup.emulator);
  const iamUrl = await emulator.start(Number(process.env.DEMO_EMULATOR_PORT ?? 0));

  // Fake credentials for the emulator only; the SDK signs with them, the emulator does not check them.
  process.env.AWS_ACCESS_KEY_ID = 'AKIADEMODEMODEMODEMO';
  process.env.AWS_SECRET_ACCESS_KEY = 'demo-secret-not-a-real-key';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ENDPOINT_URL_IAM = iamUrl;
  process.env.AWS_ENDPOINT_URL_SESV2 = iamUrl;
  process.env.AWS_ENDPOINT_URL_STS = iamUrl;
  process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = iamUrl;
  Object.assign(process.env, setup.accountsEnv);
  process.env.PORT ??= '3000';
  process.env.METRICS_PORT ??= '9464';
  process.env.NODE_ENV ??= 'development';
  // The API refuses to run open unless told to: the demo says so, and honours API_TOKENS when the user sets one.
  process.env.ALLOW_UNAUTHENTICATED ??= 'true';
  // The demo's inventory lives as long as the demo: an embedded store in a folder of its own, removed on exit.
  let demoData: string | undefined;
  if (!process.env.DATA_DIR && !process.env.DATABASE_URL) {
    demoData = mkdtempSync(join(tmpdir(), 'iam-key-monitor-demo-'));
    process.env.DATA_DIR = demoData;
    process.once('exit', () => rmSync(demoData as string, { recursive: true, force: true }));
  }
  const token = process.env.API_TOKENS?.split(',')[0]?.trim();
  const auth = token ? ` -H 'Authorization: Bearer ${token}'` : '';

  const { startApi } = await import('../apps/api/src/bootstrap');
  const { app, url } = await startApi();
  (app.getHttpServer() as Server).on('close', () => void emulator.stop());
  stopWithParent();

  process.stdout.write(
    [
      '',
      setup.accounts === 1
        ? `iam-key-monitor demo: one account of ${setup.users} seeded users served by the local IAM emulator at ${iamUrl}`
        : `iam-key-monitor demo: an organization of ${setup.accounts} accounts (${setup.users} seeded users each), ` +
          `scanned through Organizations and AssumeRole of ${setup.accountsEnv.ACCOUNT_ROLE_NAME}, served by the local IAM emulator at ${iamUrl}`,
      setup.accounts === 1
        ? '  DEMO_ACCOUNTS=3 npm run demo shows an organization of three accounts.'
        : '  DEMO_ACCOUNTS=1 npm run demo shows a single account instead.',
      `  Swagger UI:  ${url}/docs`,
      token
        ? '  Bearer tokens from API_TOKENS are required on /v1; the commands below send the first one.'
        : '  ALLOW_UNAUTHENTICATED=true: /v1 is open to anyone who can reach this port (set API_TOKENS to require a token).',
      '  Try:',
      `    curl -s${auth} '${url}/v1/iam/old-access-keys/list-users?hours=2160'`,
      `    curl -s -X POST ${url}/v1/iam/old-access-keys/credential-report${auth} -H 'Content-Type: application/json' -d '{"hours": 2160}'`,
      '  The inventory, from the store (scanned at startup, then hourly; POST /v1/scans scans now):',
      `    curl -s${auth} '${url}/v1/iam/access-keys?finding=old'`,
      '  Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
}

/**
 * A demo stopped through whatever started it (npm killed by pid, a supervisor, an IDE's stop button) must not
 * live on holding its ports: a hang-up or the parent going away (we are re-parented) drains it like SIGTERM.
 */
function stopWithParent(): void {
  const parent = process.ppid;
  const stop = () => process.kill(process.pid, 'SIGTERM');
  process.once('SIGHUP', stop);
  setInterval(() => {
    if (process.ppid !== parent) {
      stop();
    }
  }, 500).unref();
}

/** A taken port names the variable that moves it; anything else is its message alone. */
function startFailure(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const e = err as { code?: unknown; port?: unknown; message?: unknown } | undefined;
  if (e?.code === 'EADDRINUSE' && typeof e.port === 'number') {
    const variable = PORT_VARIABLES.find((name) => Number(env[name]) === e.port) ?? 'PORT';
    return (
      `Port ${e.port} is already in use (is another demo still running?). ` +
      `Stop it, or choose a free port: ${variable}=${e.port + 1} npm run demo`
    );
  }
  return err instanceof Error ? err.message : String(err);
}

main().catch((err: unknown) => {
  console.error(startFailure(err));
  process.exit(1);
});
