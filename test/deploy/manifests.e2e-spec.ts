import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseExemptionsFile } from '@app/findings';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import {
  API_SECRET_NAME,
  API_SERVICE_ACCOUNT,
  CONFIG_NAME,
  DATABASE_SECRET_NAME,
  DEPLOY_DIR,
  findObject,
  listFiles,
  loadKustomization,
  loadManifests,
  NAMESPACE,
  NOTIFIER_SECRET_NAME,
  NOTIFIER_SERVICE_ACCOUNT,
  repoPath,
  SCAN_MANIFESTS,
  type K8sObject,
  type Manifest,
} from './deploy-files';
import { setEnv } from '@app/iam-emulator';
import { apiConfig } from '../../apps/api/src/config/api.config';
import { findTypeErrors, isKnownKind, modelKey, validateSchema } from './k8s-schema';

const manifests: Manifest[] = loadManifests();
const label = (m: Manifest) => `${m.file}#${m.index} ${m.object.kind}/${m.object.metadata?.name}`;
const clone = <T>(value: T): T => structuredClone(value);

const deployment = findObject<IDeployment>(manifests, 'Deployment');
const cronJob = findObject<ICronJob>(manifests, 'CronJob', 'iam-key-monitor-notifier');
const remediatorCronJob = findObject<ICronJob>(manifests, 'CronJob', 'iam-key-monitor-remediator');
const service = findObject<IService>(manifests, 'Service');
const configMap = findObject<IConfigMap>(manifests, 'ConfigMap', CONFIG_NAME);
const EXEMPTIONS_CONFIG_NAME = 'iam-key-monitor-exemptions';
const apiPod = deployment.spec!.template.spec!;
const notifierPod = cronJob.spec!.jobTemplate.spec!.template.spec!;
const apiContainer = apiPod.containers[0];
const notifierContainer = notifierPod.containers[0];
const remediatorPod = remediatorCronJob.spec!.jobTemplate.spec!.template.spec!;
const workloads: [string, IPodSpec, IContainer][] = [
  ['api Deployment', apiPod, apiContainer],
  ['notifier CronJob', notifierPod, notifierContainer],
  ['remediator CronJob', remediatorPod, remediatorPod.containers[0]],
];

/** Resolves a probe/Service/NetworkPolicy port (a number or a container port name) to a number. */
function resolvePort(port: number | string | undefined, container: IContainer): number | undefined {
  return typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return !!selector && Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

describe('deploy/kustomization.yaml', () => {
  const kustomization = loadKustomization();

  it('puts everything in the iam-key-monitor namespace', () => {
    expect(kustomization.namespace).toBe(NAMESPACE);
    expect(findObject(manifests, 'Namespace').metadata.name).toBe(NAMESPACE);
  });

  it('names only files that exist', () => {
    const missing = (kustomization.resources ?? []).filter((resource) => !existsSync(repoPath('deploy', resource)));
    expect(missing).toEqual([]);
  });

  it('names every manifest file in deploy/', () => {
    const manifestFiles = listFiles(DEPLOY_DIR).filter(
      // deploy/aws/ holds AWS files (the member role's CloudFormation template), not Kubernetes manifests;
      // deploy/ingress/ and deploy/postgres/ are overlays of their own (ingress and postgres e2e specs); the scan
      // Job and CronJob need PostgreSQL and are applied on their own (scan-jobs e2e spec).
      (file) =>
        /\.ya?ml$/.test(file) &&
        file !== 'deploy/kustomization.yaml' &&
        !SCAN_MANIFESTS.includes(file) &&
        !file.startsWith('deploy/aws/') &&
        !file.startsWith('deploy/ingress/') &&
        !file.startsWith('deploy/postgres/'),
    );
    const named = (kustomization.resources ?? []).map((resource) => `deploy/${resource}`);
    expect(manifestFiles.filter((file) => !named.includes(file))).toEqual([]);
  });

  it('never carries a Secret: it is created by hand from an env file', () => {
    expect(manifests.filter((m) => m.object.kind === 'Secret')).toEqual([]);
    expect(kustomization).not.toHaveProperty('secretGenerator');
  });

  it('uses the image name the manifests use', () => {
    const imageNames = workloads.map(([, , container]) => container.image!.split(':')[0]);
    expect(new Set(imageNames)).toEqual(new Set(['iam-key-monitor']));
    expect(kustomization.images?.map((image) => image.name)).toEqual(['iam-key-monitor']);
  });
});

describe('manifests against the Kubernetes OpenAPI schemas (kubernetes-models)', () => {
  it('found the expected objects', () => {
    expect(manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort()).toEqual(
      expect.arrayContaining([
        'ConfigMap/iam-key-monitor',
        'CronJob/iam-key-monitor-notifier',
        'CronJob/iam-key-monitor-remediator',
        'Deployment/iam-key-monitor-api',
        'Namespace/iam-key-monitor',
        'PersistentVolumeClaim/iam-key-monitor-data',
        'PersistentVolumeClaim/iam-key-monitor-notifier-data',
        'Service/iam-key-monitor-api',
        'ServiceAccount/iam-key-monitor-api',
        'ServiceAccount/iam-key-monitor-notifier',
        'ServiceAccount/iam-key-monitor-remediator',
      ]),
    );
  });

  it.each(manifests.map((m) => [label(m), m] as const))('%s is a registered kind with a name', (_, m) => {
    expect(isKnownKind(m.object)).toBe(true);
    expect(m.object.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it.each(manifests.map((m) => [label(m), m] as const))('%s validates', (_, m) => {
    expect(() => validateSchema(m.object)).not.toThrow();
  });

  it('has no unknown field and no wrong type at any depth', () => {
    const problems = findTypeErrors(manifests.map((m) => ({ label: label(m), object: m.object })));
    expect(Object.fromEntries(problems)).toEqual({});
  });

  describe('the check can fail', () => {
    const broken = clone(deployment) as unknown as K8sObject & IDeployment;

    it('rejects a wrong type', () => {
      const copy = clone(broken);
      (copy.spec as unknown as Record<string, unknown>).replicas = 'two';
      expect(() => validateSchema(copy)).toThrow(/replicas must be integer/);
      expect([...findTypeErrors([{ label: 'copy', object: copy }]).values()].flat().join('\n')).toMatch(
        /Type 'string' is not assignable to type 'number'/,
      );
    });

    it('rejects a missing required field', () => {
      const copy = clone(broken);
      delete (copy.spec!.template.spec!.containers[0] as Partial<IContainer>).name;
      expect(() => validateSchema(copy)).toThrow(/name/);
    });

    it('rejects a misspelt field the OpenAPI schema alone lets through', () => {
      const copy = clone(broken);
      const container = copy.spec!.template.spec!.containers[0] as IContainer & Record<string, unknown>;
      container.readinesProbe = container.readinessProbe;
      delete container.readinessProbe;
      // The OpenAPI schema has no additionalProperties: false, so this alone would pass...
      expect(() => validateSchema(copy)).not.toThrow();
      // ...and the strict check names the field.
      const problems = findTypeErrors([{ label: 'copy', object: copy }]);
      expect(problems.get('copy')?.join('\n')).toMatch(/'"readinesProbe"' does not exist in type 'IContainer'/);
    });

    it('rejects a kind it has no model for', () => {
      expect(() => validateSchema({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } })).toThrow(
        /no kubernetes-models class registered for v1\/Secret/,
      );
      expect(modelKey({ apiVersion: 'apps/v1', kind: 'Deployment' })).toBe('apps/v1/Deployment');
    });
  });
});

describe('workloads', () => {
  const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
  const imageUser = /^USER\s+(\d+)(?::(\d+))?\s*$/m.exec(dockerfile);

  it('runs one API replica, replaced (not rolled), as the embedded store is one process per DATA_DIR', () => {
    expect(deployment.spec!.replicas).toBe(1);
    expect(deployment.spec!.strategy).toEqual({ type: 'Recreate' });
  });

  it('API: DATA_DIR is on its ReadWriteOnce PersistentVolumeClaim; DATABASE_URL from the optional database Secret', () => {
    const dataDir = configMap.data!.DATA_DIR;
    expect(dataDir).toBe('/var/lib/iam-key-monitor');
    const mount = apiContainer.volumeMounts?.find((m) => m.mountPath === dataDir);
    expect(mount?.readOnly).toBeFalsy();
    const claimName = apiPod.volumes?.find((v) => v.name === mount!.name)?.persistentVolumeClaim?.claimName;
    expect(claimName).toBe('iam-key-monitor-data');
    expect(findObject<IPersistentVolumeClaim>(manifests, 'PersistentVolumeClaim', claimName).spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: expect.any(String) as string } },
    });
    // The image's DATA_DIR is the same folder, declared a volume and owned by the app user.
    expect(dockerfile).toContain(`ENV DATA_DIR=${dataDir}`);
    expect(dockerfile).toContain(`VOLUME ["${dataDir}"]`);
    expect(apiContainer.env).toEqual([
      {
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: DATABASE_SECRET_NAME, key: 'DATABASE_URL', optional: true } },
      },
    ]);
  });

  it('notifier: DATABASE_URL from the same optional Secret (it cannot share the embedded store)', () => {
    expect(notifierContainer.env).toEqual([
      {
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: DATABASE_SECRET_NAME, key: 'DATABASE_URL', optional: true } },
      },
    ]);
  });

  it('selects its own pods (Deployment, Service, PodDisruptionBudget, NetworkPolicy)', () => {
    const podLabels = deployment.spec!.template.metadata!.labels;
    expect(matches(deployment.spec!.selector.matchLabels, podLabels)).toBe(true);
    expect(matches(service.spec!.selector, podLabels)).toBe(true);
    expect(
      matches(
        findObject<IPodDisruptionBudget>(manifests, 'PodDisruptionBudget').spec!.selector!.matchLabels,
        podLabels,
      ),
    ).toBe(true);
    expect(matches(service.spec!.selector, cronJob.spec!.jobTemplate.spec!.template.metadata!.labels)).toBe(false);
  });

  it.each(workloads)('%s: runs the image as the non-root user the Dockerfile sets', (_, pod, container) => {
    expect(imageUser).not.toBeNull();
    const uid = Number(imageUser![1]);
    expect(uid).toBeGreaterThan(0);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: uid,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.securityContext?.privileged).toBeFalsy();
    expect(container.imagePullPolicy).toBe('IfNotPresent');
  });

  it.each(workloads)(
    '%s: has a writable emptyDir at /tmp and nothing else writable but DATA_DIR (a claim for the API and the notifier)',
    (_, pod, container) => {
      const mount = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(mount).toBeDefined();
      expect(pod.volumes?.find((v) => v.name === mount!.name)?.emptyDir).toBeDefined();
      const writable = (container.volumeMounts ?? []).filter((m) => m.readOnly !== true).map((m) => m.mountPath);
      expect(writable).toEqual(['/tmp', configMap.data!.DATA_DIR]);
      const data = container.volumeMounts?.find((m) => m.mountPath === configMap.data!.DATA_DIR);
      const dataVolume = pod.volumes?.find((v) => v.name === data?.name);
      // The API's and the notifier's embedded stores outlive the pod (the notifier's ladder must last from one run
      // to the next); the remediator's lasts one run: it acts only on warnings on record in a shared PostgreSQL.
      const claimed = pod === apiPod || pod === notifierPod;
      expect(claimed ? dataVolume?.persistentVolumeClaim : dataVolume?.emptyDir).toBeDefined();
      const claims = pod.volumes?.filter((v) => v.persistentVolumeClaim !== undefined).map((v) => v.name);
      expect(claims).toEqual(claimed ? ['data'] : []);
      expect(
        pod.volumes?.every((v) => v.emptyDir !== undefined || v.configMap !== undefined || claims?.includes(v.name)),
      ).toBe(true);
    },
  );

  it.each(workloads)(
    '%s: mounts the exemptions ConfigMap read-only where EXEMPTIONS_FILE points, and the example file loads',
    (_, pod, container) => {
      const file = configMap.data!.EXEMPTIONS_FILE;
      expect(file).toBe('/etc/iam-key-monitor/exemptions.yaml');
      const mount = container.volumeMounts?.find((m) => m.mountPath === path.posix.dirname(file));
      expect(mount?.readOnly).toBe(true);
      const volume = pod.volumes?.find((v) => v.name === mount!.name);
      expect(volume?.configMap?.name).toBe(EXEMPTIONS_CONFIG_NAME);
      const exemptions = findObject<IConfigMap>(manifests, 'ConfigMap', EXEMPTIONS_CONFIG_NAME);
      const text = exemptions.data?.[path.posix.basename(file)];
      expect(text).toBeDefined();
      expect(parseExemptionsFile(text!, { fileName: 'example', now: new Date(), maxDays: 180 })).toEqual([]);
    },
  );

  it.each(workloads)('%s: sets requests and limits for cpu and memory', (_, _pod, container) => {
    for (const kind of ['requests', 'limits'] as const) {
      expect(Object.keys(container.resources?.[kind] ?? {})).toEqual(expect.arrayContaining(['cpu', 'memory']));
    }
  });

  it('API: loads the ConfigMap and its own Secret, required, so a deleted Secret stops the pods instead of opening /v1', () => {
    expect(apiContainer.envFrom).toEqual([
      { configMapRef: { name: CONFIG_NAME } },
      { secretRef: { name: API_SECRET_NAME } },
    ]);
    expect(apiPod.serviceAccountName).toBe(API_SERVICE_ACCOUNT);
    expect(findObject(manifests, 'ServiceAccount', API_SERVICE_ACCOUNT).metadata.name).toBe(API_SERVICE_ACCOUNT);
  });

  it('notifier: loads the ConfigMap and its own Secret (AWS keys outside EKS only), under its own service account', () => {
    expect(notifierContainer.envFrom).toEqual([
      { configMapRef: { name: CONFIG_NAME } },
      { secretRef: { name: NOTIFIER_SECRET_NAME, optional: true } },
    ]);
    expect(notifierPod.serviceAccountName).toBe(NOTIFIER_SERVICE_ACCOUNT);
    expect(findObject(manifests, 'ServiceAccount', NOTIFIER_SERVICE_ACCOUNT).metadata.name).toBe(
      NOTIFIER_SERVICE_ACCOUNT,
    );
  });

  it('shares neither a service account (so an IRSA role) nor a Secret between the two workloads', () => {
    expect(apiPod.serviceAccountName).not.toBe(notifierPod.serviceAccountName);
    const secrets = (container: IContainer) => (container.envFrom ?? []).flatMap((e) => e.secretRef?.name ?? []);
    expect(secrets(apiContainer).filter((name) => secrets(notifierContainer).includes(name))).toEqual([]);
  });

  it('starts each app with the entry point the build produces, the API being the image default', () => {
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile);
    expect(JSON.parse(cmd![1])).toEqual(['node', 'dist/apps/api/main.js']);
    expect(apiContainer.command).toEqual(['node', 'dist/apps/api/main.js']);
    expect(notifierContainer.command).toEqual(['node', 'dist/apps/notifier/main.js']);
  });

  it('gives the API time to drain: grace period >= preStop sleep + SHUTDOWN_GRACE_MS + margin', () => {
    const preStop = apiContainer.lifecycle?.preStop;
    const sleepSeconds = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command?.at(-1));
    expect(sleepSeconds).toBeGreaterThanOrEqual(3);
    const shutdownGraceMs = Number(configMap.data?.SHUTDOWN_GRACE_MS ?? 25_000);
    expect(apiPod.terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(
      sleepSeconds * 1000 + shutdownGraceMs + 1000,
    );
  });

  it('bounds readiness and liveness below their probes, so IAM or a stall cannot outlast a probe', () => {
    // The API's own config as the ConfigMap sets it (defaults for the rest), with a token so it validates.
    const restore = setEnv({ ...(configMap.data ?? {}), API_TOKENS: 'manifest-check-token-0123456789' });
    let config;
    try {
      config = apiConfig();
    } finally {
      restore();
    }
    const readiness = apiContainer.readinessProbe!;
    const liveness = apiContainer.livenessProbe!;
    // A second of margin for the HTTP round trip and the event loop.
    expect(config.readinessTimeoutMs + 1000).toBeLessThanOrEqual(readiness.timeoutSeconds! * 1000);
    // Liveness itself answers at once; a stall beyond the threshold fails it within the probe's failure budget.
    expect(config.livenessMaxEventLoopLagMs).toBeLessThan(liveness.periodSeconds! * liveness.failureThreshold! * 1000);
  });

  it('runs the notifier once a day, one run at a time, bounded in time and retries', () => {
    const spec = cronJob.spec!;
    expect(spec.schedule).toMatch(/^\d{1,2} \d{1,2} \* \* \*$/);
    expect(spec.concurrencyPolicy).toBe('Forbid');
    expect(spec.startingDeadlineSeconds).toBeGreaterThan(0);
    const job = spec.jobTemplate.spec!;
    expect(job.backoffLimit).toBeGreaterThanOrEqual(0);
    expect(job.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(job.template.spec!.restartPolicy).toBe('Never');
  });
});

describe('ports and probes', () => {
  const containerPort = apiContainer.ports?.find((p) => p.name === 'http')?.containerPort;
  const metricsPort = apiContainer.ports?.find((p) => p.name === 'metrics')?.containerPort;

  it('listens where the ConfigMap tells the app to listen', () => {
    expect(containerPort).toBeDefined();
    expect(Number(configMap.data?.PORT)).toBe(containerPort);
  });

  it('serves /metrics on its own container port, METRICS_PORT, where the scrape annotations point', () => {
    expect(metricsPort).toBeDefined();
    expect(metricsPort).not.toBe(containerPort);
    expect(Number(configMap.data?.METRICS_PORT)).toBe(metricsPort);
    expect(deployment.spec!.template.metadata!.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(metricsPort),
      'prometheus.io/path': '/metrics',
    });
  });

  it('probes the container port: startup and liveness on /health/live, readiness on /health/ready', () => {
    const probes = {
      startup: apiContainer.startupProbe?.httpGet,
      liveness: apiContainer.livenessProbe?.httpGet,
      readiness: apiContainer.readinessProbe?.httpGet,
    };
    expect(probes.startup?.path).toBe('/health/live');
    expect(probes.liveness?.path).toBe('/health/live');
    expect(probes.readiness?.path).toBe('/health/ready');
    for (const probe of Object.values(probes)) {
      expect(resolvePort(probe?.port, apiContainer)).toBe(containerPort);
    }
  });

  it('exposes port 80 on the Service, forwarding to the container port', () => {
    expect(service.spec!.type).toBe('ClusterIP');
    expect(service.spec!.ports).toHaveLength(1);
    expect(service.spec!.ports![0]).toMatchObject({ name: 'http', port: 80 });
    expect(resolvePort(service.spec!.ports![0].targetPort, apiContainer)).toBe(containerPort);
  });
});

describe('network policies', () => {
  const policies = manifests
    .filter((m) => m.object.kind === 'NetworkPolicy')
    .map((m) => m.object as unknown as INetworkPolicy);

  it('deny by default for every pod in the namespace', () => {
    const deny = policies.find(
      (p) => Object.keys(p.spec!.podSelector.matchLabels ?? {}).length === 0 && !p.spec!.ingress && !p.spec!.egress,
    );
    expect(deny?.spec!.policyTypes).toEqual(expect.arrayContaining(['Ingress', 'Egress']));
  });

  const apiPort = Number(configMap.data?.PORT);
  const metricsPort = Number(configMap.data?.METRICS_PORT);
  const ingressRules = policies.flatMap((p) => p.spec!.ingress ?? []);
  const peerKey = (peer: NonNullable<(typeof ingressRules)[number]['from']>[number]) => JSON.stringify(peer);
  /** Who may reach a port of the API pods: the peers of every rule that names it. */
  const peersOf = (port: number) =>
    ingressRules
      .filter((rule) => (rule.ports ?? []).some((p) => resolvePort(p.port, apiContainer) === port))
      .flatMap((rule) => (rule.from ?? []).map(peerKey));
  const ingressNamespace = peerKey({ namespaceSelector: { matchLabels: { 'iam-key-monitor/allow-ingress': 'true' } } });
  const monitoringNamespace = peerKey({
    namespaceSelector: { matchLabels: { 'iam-key-monitor/allow-metrics': 'true' } },
  });

  it('admit ingress only to the API pods, on named ports, from labelled namespaces, never from any address', () => {
    const apiLabels = deployment.spec!.template.metadata!.labels;
    expect(policies.filter((p) => p.spec!.ingress && matches(p.spec!.podSelector.matchLabels, apiLabels))).toHaveLength(
      1,
    );
    for (const rule of ingressRules) {
      expect(rule.ports?.length).toBeGreaterThan(0); // a rule without ports admits every port
      expect(rule.from?.length).toBeGreaterThan(0); // a rule without peers admits everyone
      for (const peer of rule.from ?? []) {
        expect(peer.ipBlock).toBeUndefined();
        expect(
          peer.namespaceSelector === undefined || Object.keys(peer.namespaceSelector.matchLabels ?? {}).length > 0,
        ).toBe(true);
      }
    }
    const ports = ingressRules.flatMap((rule) => rule.ports!.map((p) => resolvePort(p.port, apiContainer)));
    expect([...new Set(ports)].sort()).toEqual([apiPort, metricsPort].sort());
  });

  it('let the ingress namespace reach the API port (/v1, /health) but not the metrics port', () => {
    expect(peersOf(apiPort)).toEqual([peerKey({ podSelector: {} }), ingressNamespace]);
    expect(peersOf(metricsPort)).not.toContain(ingressNamespace);
    expect(peersOf(metricsPort)).not.toContain(peerKey({ podSelector: {} }));
  });

  it('let only the monitoring namespace reach the metrics port', () => {
    expect(peersOf(metricsPort)).toEqual([monitoringNamespace]);
    expect(peersOf(apiPort)).not.toContain(monitoringNamespace);
  });

  it('let both apps out only to DNS, HTTPS and PostgreSQL', () => {
    const egress = policies.filter((p) => p.spec!.egress);
    for (const labels of [
      deployment.spec!.template.metadata!.labels,
      cronJob.spec!.jobTemplate.spec!.template.metadata!.labels,
    ]) {
      expect(egress.some((p) => matches(p.spec!.podSelector.matchLabels, labels))).toBe(true);
    }
    const ports = egress.flatMap((p) => p.spec!.egress!.flatMap((rule) => rule.ports ?? [{ port: 'ANY' }]));
    expect(ports.map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).sort()).toEqual([
      '443/TCP',
      '53/TCP',
      '53/UDP',
      '5432/TCP',
    ]);
  });
});
