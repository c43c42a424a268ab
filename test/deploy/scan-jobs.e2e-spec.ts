import { readFileSync } from 'node:fs';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { EnvValidationError, validateEnv } from '@app/platform';
import { inShard, loadScansConfig } from '@app/scans';
import { checkShardedStore, ScannerExitCode } from '../../apps/scanner/src/run-scanner';
import {
  API_SECRET_NAME,
  API_SERVICE_ACCOUNT,
  CONFIG_NAME,
  DATABASE_SECRET_NAME,
  findObject,
  loadManifests,
  NAMESPACE,
  parseYamlDocuments,
  repoPath,
  SCAN_MANIFESTS,
  type K8sObject,
  type Manifest,
} from './deploy-files';
import { discoverEnvClassIds, loadEnvSchema } from './env-schema';
import { findTypeErrors, validateSchema } from './k8s-schema';

const own: Manifest[] = SCAN_MANIFESTS.flatMap((file) =>
  parseYamlDocuments(file).map((doc, index) => ({ file, index, object: doc as K8sObject })),
);
const base = loadManifests();
const configMap = findObject<IConfigMap>(base, 'ConfigMap', CONFIG_NAME).data ?? {};
const notifier = findObject<ICronJob>(base, 'CronJob', 'iam-key-monitor-notifier');
const notifierPod = notifier.spec!.jobTemplate.spec!.template.spec!;
const job = findObject<IJob>(own, 'Job', 'iam-key-monitor-scan');
const cronJob = findObject<ICronJob>(own, 'CronJob', 'iam-key-monitor-scan');
const jobPod = job.spec!.template.spec!;
const cronPod = cronJob.spec!.jobTemplate.spec!.template.spec!;
const pods: [string, IPodSpec][] = [
  ['sharded Job', jobPod],
  ['scan CronJob', cronPod],
];
const containerOf = (pod: IPodSpec): IContainer => pod.containers[0];
const envValue = (container: IContainer, name: string) => container.env?.find((e) => e.name === name);
const readme = readFileSync(repoPath('README.md'), 'utf8');
const nestCli = JSON.parse(readFileSync(repoPath('nest-cli.json'), 'utf8')) as {
  projects: Record<string, { root: string; entryFile: string }>;
};

describe('deploy/scan-job.yaml and deploy/scan-cronjob.yaml (applied on their own: both need PostgreSQL)', () => {
  it('are one Job and one CronJob in the namespace, schema-valid with no unknown field, and no Secret', () => {
    expect(own.map((m) => `${m.file} ${m.object.kind}/${m.object.metadata.name}`)).toEqual([
      'deploy/scan-job.yaml Job/iam-key-monitor-scan',
      'deploy/scan-cronjob.yaml CronJob/iam-key-monitor-scan',
    ]);
    for (const m of own) {
      expect(m.object.metadata.namespace).toBe(NAMESPACE);
      expect(() => validateSchema(m.object)).not.toThrow();
    }
    const problems = findTypeErrors(own.map((m) => ({ label: m.file, object: m.object })));
    expect(Object.fromEntries(problems)).toEqual({});
  });

  it('are left out of the default kustomization, which keeps the embedded store', () => {
    expect(base.filter((m) => SCAN_MANIFESTS.includes(m.file))).toEqual([]);
  });

  it('the Job is Indexed, one pod per shard, SCAN_SHARD_COUNT equal to completions and parallelism', () => {
    const spec = job.spec!;
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.completions).toBeGreaterThan(1);
    expect(spec.parallelism).toBe(spec.completions);
    expect(envValue(containerOf(jobPod), 'SCAN_SHARD_COUNT')?.value).toBe(String(spec.completions));
    // Kubernetes sets JOB_COMPLETION_INDEX itself; the manifest must not.
    expect(envValue(containerOf(jobPod), 'JOB_COMPLETION_INDEX')).toBeUndefined();
  });

  it('every index Kubernetes gives is a valid shard, and together the shards cover every account once', () => {
    const count = job.spec!.completions!;
    const env = { ...configMap, SCAN_SHARD_COUNT: String(count), DATABASE_URL: 'postgres://db.example/iam' };
    const shards = Array.from({ length: count }, (_, index) => {
      const e = { ...env, JOB_COMPLETION_INDEX: String(index) };
      expect(() => checkShardedStore(e)).not.toThrow();
      return loadScansConfig(e).shard!;
    });
    expect(shards).toEqual(Array.from({ length: count }, (_, index) => ({ index, count })));
    const ids = Array.from({ length: 200 }, (_, i) => String(100_000_000_000 + i * 7919));
    for (const id of ids) {
      expect(shards.filter((s) => inShard(id, s))).toHaveLength(1);
    }
    // Without the database Secret the shards would not share a store: refused at boot.
    expect(() => checkShardedStore({ ...env, DATABASE_URL: undefined, JOB_COMPLETION_INDEX: '0' })).toThrow(
      /DATABASE_URL \(unset\): required with SCAN_SHARD_COUNT/,
    );
  });

  it('the CronJob scans everything in one process, one run at a time, bounded in time and retries', () => {
    expect(envValue(containerOf(cronPod), 'SCAN_SHARD_COUNT')).toBeUndefined();
    const spec = cronJob.spec!;
    expect(spec.schedule).toMatch(/^\d{1,2} (\*|\d{1,2}) \* \* \*$/);
    expect(spec.concurrencyPolicy).toBe('Forbid');
    expect(spec.startingDeadlineSeconds).toBeGreaterThan(0);
    expect(spec.jobTemplate.spec!.activeDeadlineSeconds).toBeGreaterThan(0);
  });

  it('a shard with failed accounts fails without retry; a job failure (exit 2) is retried', () => {
    const rules = [
      { rules: job.spec!.podFailurePolicy!.rules, action: 'FailIndex' },
      { rules: cronJob.spec!.jobTemplate.spec!.podFailurePolicy!.rules, action: 'FailJob' },
    ];
    for (const { rules: list, action } of rules) {
      expect(list[0]).toEqual({
        action,
        onExitCodes: { containerName: 'scanner', operator: 'In', values: [ScannerExitCode.AccountsFailed] },
      });
      expect(list.flatMap((r) => r.onExitCodes?.values ?? [])).not.toContain(ScannerExitCode.JobFailed);
    }
    expect(job.spec!.backoffLimitPerIndex).toBeGreaterThan(0);
    expect(cronJob.spec!.jobTemplate.spec!.backoffLimit).toBeGreaterThan(0);
  });

  it.each(pods)('%s: runs the scanner bundle the build produces', (_, pod) => {
    const container = containerOf(pod);
    expect(container.name).toBe('scanner');
    const project = nestCli.projects.scanner;
    expect(container.command).toEqual(['node', `dist/${project.root}/${project.entryFile}.js`]);
    expect(container.image).toBe(containerOf(notifierPod).image);
    expect(pod.restartPolicy).toBe('Never');
  });

  it.each(pods)('%s: DATABASE_URL from the database Secret, required (not optional)', (_, pod) => {
    expect(envValue(containerOf(pod), 'DATABASE_URL')).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: DATABASE_SECRET_NAME, key: 'DATABASE_URL' } },
    });
  });

  it.each(pods)(
    "%s: the API's read-only identity, and of its Secret only the optional AWS keys (never API_TOKENS)",
    (_, pod) => {
      const container = containerOf(pod);
      expect(pod.serviceAccountName).toBe(API_SERVICE_ACCOUNT);
      expect(findObject(base, 'ServiceAccount', API_SERVICE_ACCOUNT).metadata.name).toBe(API_SERVICE_ACCOUNT);
      expect(container.envFrom).toEqual([{ configMapRef: { name: CONFIG_NAME } }]);
      const fromApiSecret = (container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef?.name === API_SECRET_NAME);
      expect(fromApiSecret).toEqual(
        ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].map((key) => ({
          name: key,
          valueFrom: { secretKeyRef: { name: API_SECRET_NAME, key, optional: true } },
        })),
      );
    },
  );

  it.each(pods)("%s: the notifier CronJob's pod conventions (security, /tmp, exemptions, labels)", (_, pod) => {
    const container = containerOf(pod);
    const reference = containerOf(notifierPod);
    expect(pod.securityContext).toEqual(notifierPod.securityContext);
    expect(container.securityContext).toEqual(reference.securityContext);
    expect(container.imagePullPolicy).toBe(reference.imagePullPolicy);
    // The notifier's `data` claim holds its embedded store when DATABASE_URL is unset; a scan job requires
    // PostgreSQL, so it has none.
    expect(container.volumeMounts).toEqual(reference.volumeMounts?.filter((m) => m.name !== 'data'));
    expect(pod.volumes).toEqual(notifierPod.volumes?.filter((v) => v.name !== 'data'));
    for (const kind of ['requests', 'limits'] as const) {
      expect(Object.keys(container.resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
    }
    // The namespace's egress policy (DNS, HTTPS, PostgreSQL) selects these pods by name.
    expect(
      pod === jobPod ? job.spec!.template.metadata!.labels : cronJob.spec!.jobTemplate.spec!.template.metadata!.labels,
    ).toMatchObject({
      'app.kubernetes.io/name': 'iam-key-monitor',
      'app.kubernetes.io/component': 'scan',
    });
  });

  it('set only variables some env class knows, each documented in the README, and the ConfigMap validates', () => {
    const schemas = discoverEnvClassIds().map(loadEnvSchema);
    const known = new Set([...schemas.flatMap((s) => [...s.known]), 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    const names = pods.flatMap(([, pod]) => (containerOf(pod).env ?? []).map((e) => e.name));
    expect(names.filter((name) => !known.has(name))).toEqual([]);
    expect([...names, 'JOB_COMPLETION_INDEX'].filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
    const scans = schemas.find((s) => s.id.endsWith('#ScansEnv'));
    expect(scans).toBeDefined();
    const env = { ...configMap, SCAN_SHARD_COUNT: '3', JOB_COMPLETION_INDEX: '2' };
    let problems: string[] = [];
    try {
      validateEnv(scans!.envClass, env);
    } catch (err) {
      if (!(err instanceof EnvValidationError)) {
        throw err;
      }
      problems = err.problems;
    }
    expect(problems).toEqual([]);
  });
});
