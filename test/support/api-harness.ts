import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { StsClientProvider } from '@app/accounts';
import { EMULATOR_AWS_ENV, IamEmulator, type IamEmulatorOptions } from '@app/iam-emulator';
import { AppModule } from '../../apps/api/src/app.module';
import { API_APP_OPTIONS, configureApp } from '../../apps/api/src/configure-app';
import { MetricsListener } from '../../apps/api/src/metrics/metrics-listener';
import { freshDataDir } from './embedded-store';
import { freePort } from './free-port';

export const ROOT = path.resolve(__dirname, '../..');

export interface ApiHarness {
  app: INestApplication;
  url: string;
  /** The METRICS_PORT listener, e.g. `${metricsUrl}/metrics`. */
  metricsUrl: string;
  emulator: IamEmulator;
  close(): Promise<void>;
}

export interface HarnessOptions {
  emulator?: IamEmulatorOptions;
  /** Extra environment for the app's config (validated at boot like in production). */
  env?: Record<string, string>;
  /** Overrides before compiling, e.g. a clock the spec moves. */
  configure?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/** The real AppModule over real HTTP, its IAM endpoint pointed at a fresh emulator on loopback. */
export async function startApiOnEmulator(options: HarnessOptions = {}): Promise<ApiHarness> {
  // The embedded store in a folder of its own, unless the spec gives one or a DATABASE_URL.
  const store = options.env?.DATA_DIR || options.env?.DATABASE_URL ? undefined : await freshDataDir();
  const emulator = new IamEmulator(options.emulator);
  const emulatorUrl = await emulator.start(0, '127.0.0.1');
  const env: Record<string, string> = {
    ...(store ? { DATA_DIR: store.dir } : {}),
    ...EMULATOR_AWS_ENV,
    AWS_ENDPOINT_URL_IAM: emulatorUrl,
    // The own account comes from STS (self mode too); Organizations when ACCOUNTS_SOURCE=organizations.
    AWS_ENDPOINT_URL_STS: emulatorUrl,
    AWS_ENDPOINT_URL_ORGANIZATIONS: emulatorUrl,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REPORT_POLL_INTERVAL_MS: '20',
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_FAILURES_PER_MINUTE: '0',
    // The API refuses to boot open unless told to; specs about tokens pass API_TOKENS.
    ALLOW_UNAUTHENTICATED: 'true',
    METRICS_PORT: '0',
    // No scheduled scan behind a spec's back: specs about the scheduler turn it on.
    SCAN_INTERVAL_MINUTES: '0',
    ...options.env,
  };
  // The SDK reads credentials lazily at the first call, so the environment stays until close().
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  const restoreEnv = () => {
    for (const [k, v] of saved) {
      if (v === undefined) {
        delete process.env[k];
      } else {
        process.env[k] = v;
      }
    }
  };
  Object.assign(process.env, env);
  try {
    const builder = Test.createTestingModule({ imports: [AppModule] });
    const moduleRef = await (options.configure ? options.configure(builder) : builder).compile();
    const app = configureApp(moduleRef.createNestApplication({ ...API_APP_OPTIONS, logger: false }));
    await app.listen(0, '127.0.0.1');
    // The own account is asked of STS once per process, at the first scan; asked here, so the emulator's
    // counters that specs read hold what each scan costs. (The organization specs check that call themselves.)
    await app.get(StsClientProvider).callerIdentity();
    emulator.resetCounters();
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    return {
      app,
      url: `http://127.0.0.1:${port}`,
      metricsUrl: app.get(MetricsListener).url,
      emulator,
      close: async () => {
        await app.close();
        await emulator.stop();
        restoreEnv();
        store?.remove();
      },
    };
  } catch (err) {
    await emulator.stop();
    restoreEnv();
    store?.remove();
    throw err;
  }
}

export interface SpawnedApi {
  child: ChildProcessWithoutNullStreams;
  url: string;
  metricsUrl: string;
  /** stdout and stderr interleaved. */
  output(): string;
  /** stdout alone: where the JSON log lines go (Node's own warnings go to stderr). */
  stdout(): string;
  exited: Promise<number | null>;
}

/** The API as its own process (`apps/api/src/main.ts`), for signals, exit codes and log lines. */
export async function spawnApi(env: Record<string, string>, readyTimeoutMs = 30_000): Promise<SpawnedApi> {
  const port = await freePort();
  const metricsPort = await freePort();
  const store = env.DATA_DIR || env.DATABASE_URL ? undefined : await freshDataDir();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...EMULATOR_AWS_ENV,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      ALLOW_UNAUTHENTICATED: 'true',
      ...(store ? { DATA_DIR: store.dir } : {}),
      SCAN_INTERVAL_MINUTES: '0',
      // STS and Organizations at the emulator that serves IAM, unless a spec says otherwise.
      ...(env.AWS_ENDPOINT_URL_IAM
        ? { AWS_ENDPOINT_URL_STS: env.AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_ORGANIZATIONS: env.AWS_ENDPOINT_URL_IAM }
        : {}),
      ...env,
    },
  });
  let out = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    // 'close', not 'exit': the output streams may still hold the last lines (a config error) when 'exit' fires.
    child.on('close', (code) => {
      store?.remove();
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      break;
    }
    try {
      const res = await fetch(`${url}/health/live`);
      if (res.ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`API did not start within ${readyTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, metricsUrl: `http://127.0.0.1:${metricsPort}`, output: () => out, stdout: () => stdout, exited };
}

/** For afterEach/afterAll: a spawned API a failed test left running is killed, so Jest can exit. */
export async function killSpawned(api: SpawnedApi | undefined): Promise<void> {
  if (api && api.child.exitCode === null && api.child.signalCode === null) {
    api.child.kill('SIGKILL');
    await api.exited;
  }
}
