/**
 * `npm run demo`: the API on a seeded demo account served by the local IAM emulator, so people can see
 * the service work before they give it any AWS credentials.
 */
import type { Server } from 'node:http';
import { IamEmulator, seedAccount } from '@app/iam-emulator';

async function main(): Promise<void> {
  const users = Number(process.env.DEMO_USERS ?? 300);
  const emulator = new IamEmulator({
    account: seedAccount({ seed: Number(process.env.DEMO_SEED ?? 42), users, rootAccessKeys: 1 }),
    latencyMs: [5, 15],
    reportDelayMs: 1500,
  });
  const iamUrl = await emulator.start(Number(process.env.DEMO_EMULATOR_PORT ?? 0));

  // Fake credentials for the emulator only; the SDK signs with them, the emulator does not check them.
  process.env.AWS_ACCESS_KEY_ID = 'AKIADEMODEMODEMODEMO';
  process.env.AWS_SECRET_ACCESS_KEY = 'demo-secret-not-a-real-key';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ENDPOINT_URL_IAM = iamUrl;
  process.env.AWS_ENDPOINT_URL_SESV2 = iamUrl;
  process.env.PORT ??= '3000';
  process.env.NODE_ENV ??= 'development';

  const { startApi } = await import('../apps/api/src/bootstrap');
  const { app, url } = await startApi();
  (app.getHttpServer() as Server).on('close', () => void emulator.stop());

  process.stdout.write(
    [
      '',
      `iam-key-monitor demo: ${users} seeded users served by the local IAM emulator at ${iamUrl}`,
      `  Swagger UI:  ${url}/docs`,
      '  Try:',
      `    curl -s '${url}/v1/iam/old-access-keys/list-users?hours=2160'`,
      `    curl -s -X POST ${url}/v1/iam/old-access-keys/credential-report -H 'Content-Type: application/json' -d '{"hours": 2160}'`,
      '  Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
