import { readFileSync } from 'node:fs';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IService } from 'kubernetes-models/v1/Service';
import { loadStoreConfig } from '@app/store';
import {
  DATABASE_SECRET_NAME,
  findObject,
  loadManifests,
  parseEnvFile,
  parseYamlDocuments,
  repoPath,
  type K8sObject,
  type Manifest,
} from './deploy-files';
import { findTypeErrors, validateSchema } from './k8s-schema';

interface Overlay {
  resources: string[];
  patches: Array<{ path?: string; patch?: string }>;
}

const [overlay] = parseYamlDocuments('deploy/postgres/kustomization.yaml') as [Overlay];
const own: Manifest[] = overlay.resources
  .filter((r) => r !== '../')
  .flatMap((r) =>
    parseYamlDocuments(`deploy/postgres/${r}`).map((doc, index) => ({
      file: `deploy/postgres/${r}`,
      index,
      object: doc as K8sObject,
    })),
  );
const statefulSet = findObject<IStatefulSet>(own, 'StatefulSet');
const service = findObject<IService>(own, 'Service');
const policy = findObject<INetworkPolicy>(own, 'NetworkPolicy');
const podSpec = statefulSet.spec!.template.spec!;
const server = podSpec.containers[0];
const template = parseEnvFile(readFileSync(repoPath('deploy/secret-database.example.env'), 'utf8'));
const base = loadManifests();
const apiDeployment = findObject<IDeployment>(base, 'Deployment');

describe('deploy/postgres (optional overlay: PostgreSQL for Minikube)', () => {
  it('is the base plus a StatefulSet, its Service and NetworkPolicy, each schema-valid with no unknown field', () => {
    expect(overlay.resources).toEqual(['../', 'statefulset.yaml', 'service.yaml', 'networkpolicy.yaml']);
    for (const m of own) {
      expect(() => validateSchema(m.object)).not.toThrow();
    }
    const problems = findTypeErrors(own.map((m) => ({ label: m.file, object: m.object })));
    expect(Object.fromEntries(problems)).toEqual({});
    expect(own.filter((m) => m.object.kind === 'Secret')).toEqual([]);
  });

  it('runs the official postgres image with its data on a PersistentVolumeClaim', () => {
    expect(server.image).toMatch(/^postgres:\d+(\.\d+)?-bookworm$/);
    const [claim] = statefulSet.spec!.volumeClaimTemplates!;
    expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } });
    const dataMount = server.volumeMounts!.find((m) => m.name === claim.metadata!.name);
    expect(dataMount?.mountPath).toBe('/var/lib/postgresql/data');
    expect(server.env!.find((e) => e.name === 'PGDATA')?.value).toBe('/var/lib/postgresql/data/pgdata');
    expect(statefulSet.spec!.replicas).toBe(1);
  });

  it('is ready when pg_isready says so', () => {
    expect(server.readinessProbe?.exec?.command?.join(' ')).toContain('pg_isready');
    expect(server.livenessProbe?.exec?.command?.join(' ')).toContain('pg_isready');
  });

  it('takes user, password and database from the Secret whose template holds placeholders only', () => {
    const refs = server.env!.filter((e) => e.valueFrom).map((e) => e.valueFrom!.secretKeyRef!);
    expect(refs.map((r) => [r.name, r.key])).toEqual([
      [DATABASE_SECRET_NAME, 'POSTGRES_USER'],
      [DATABASE_SECRET_NAME, 'POSTGRES_PASSWORD'],
      [DATABASE_SECRET_NAME, 'POSTGRES_DB'],
    ]);
    expect([...template.entries.keys()]).toEqual(['DATABASE_URL', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']);
    expect(template.entries.get('POSTGRES_PASSWORD')).toBe('change-me');
    // The template's URL is the one the API accepts, pointing at this Service with that user, password and database.
    const { connection } = loadStoreConfig({ DATABASE_URL: template.entries.get('DATABASE_URL') });
    expect(connection).toMatchObject({ engine: 'postgres' });
    const url = new URL(template.entries.get('DATABASE_URL')!);
    expect([url.hostname, url.port, url.username, url.password, url.pathname]).toEqual([
      service.metadata!.name,
      String(service.spec!.ports![0].port),
      template.entries.get('POSTGRES_USER'),
      'change-me',
      `/${template.entries.get('POSTGRES_DB')}`,
    ]);
  });

  it('serves 5432 to the iam-key-monitor pods only (the base denies the rest)', () => {
    expect(service.spec!.selector).toEqual(statefulSet.spec!.selector.matchLabels);
    expect(service.spec!.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' }]);
    expect(policy.spec!.podSelector.matchLabels).toEqual(statefulSet.spec!.selector.matchLabels);
    expect(policy.spec!.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'iam-key-monitor' } } }],
        ports: [{ port: 'postgres', protocol: 'TCP' }],
      },
    ]);
    expect(apiDeployment.spec!.template.metadata!.labels!['app.kubernetes.io/name']).toBe('iam-key-monitor');
  });

  it('runs the API at two replicas, rolled without dropping capacity, without the embedded store volume', () => {
    const [patch] = parseYamlDocuments('deploy/postgres/api-on-postgres.yaml') as [IDeployment];
    expect(overlay.patches[0]).toEqual({ path: 'api-on-postgres.yaml' });
    expect(patch.metadata?.name).toBe(apiDeployment.metadata!.name);
    expect(patch.spec).toMatchObject({
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    });
    const dataVolume = apiDeployment.spec!.template.spec!.volumes!.find((v) => v.persistentVolumeClaim);
    expect(patch.spec!.template.spec!.volumes).toEqual([
      { name: dataVolume!.name, persistentVolumeClaim: null, emptyDir: { sizeLimit: '16Mi' } },
    ]);
    const [deletion] = parseYamlDocuments('deploy/postgres/inline-patch.yaml', overlay.patches[1].patch) as [K8sObject];
    expect(deletion).toMatchObject({
      $patch: 'delete',
      kind: 'PersistentVolumeClaim',
      metadata: { name: dataVolume!.persistentVolumeClaim!.claimName },
    });
  });

  it("keeps the notifier's ladder in PostgreSQL: its claim gives way to a small emptyDir, and is not created", () => {
    const cronJob = findObject<ICronJob>(base, 'CronJob', 'iam-key-monitor-notifier');
    const dataVolume = cronJob.spec!.jobTemplate.spec!.template.spec!.volumes!.find((v) => v.persistentVolumeClaim);
    expect(dataVolume?.name).toBe('data');
    expect(overlay.patches[2]).toEqual({ path: 'notifier-on-postgres.yaml' });
    const [patch] = parseYamlDocuments('deploy/postgres/notifier-on-postgres.yaml') as [ICronJob];
    expect(patch.metadata?.name).toBe(cronJob.metadata!.name);
    expect(patch.spec!.jobTemplate.spec!.template.spec!.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: null, emptyDir: { sizeLimit: '16Mi' } },
    ]);
    const [deletion] = parseYamlDocuments('deploy/postgres/inline-patch.yaml', overlay.patches[3].patch) as [K8sObject];
    expect(deletion).toMatchObject({
      $patch: 'delete',
      kind: 'PersistentVolumeClaim',
      metadata: { name: dataVolume!.persistentVolumeClaim!.claimName },
    });
    expect(findObject(base, 'PersistentVolumeClaim', dataVolume!.persistentVolumeClaim!.claimName)).toBeDefined();
  });
});
