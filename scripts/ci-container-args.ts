/**
 * What a Kubernetes workload in deploy/ gives its container, as `docker run` needs it, for scripts/container-test.sh.
 * One item a line:
 *   args <Deployment|CronJob>      docker run flags: user, read-only root, capabilities, privilege escalation,
 *                                  memory and CPU limits, exactly the writable mounts the pod spec declares (a
 *                                  PersistentVolumeClaim as the named volume PVC_VOLUME_PREFIX + claim), and
 *                                  its read-only ConfigMap volumes (files written under the temp dir, bind-mounted)
 *   command <Deployment|CronJob>   the container's command, a word a line
 *   grace <Deployment|CronJob>     seconds between SIGTERM and SIGKILL once preStop hooks ran
 *   env <Deployment|CronJob>       KEY=value lines of the ConfigMaps the container loads with envFrom
 *   heap <Deployment|CronJob>      the V8 old-generation limit in MB Node should give itself under the container's
 *                                  memory limit (scripts/pod-heap.ts; the bench runs organization scans with it)
 * A setting this cannot map (another volume type, an added capability) fails, so the test never silently runs
 * the image less confined than the cluster would.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { findObject, loadManifests } from '../test/deploy/deploy-files';
import { podOldSpaceMb, quantityMiB } from './pod-heap';

type Workload = 'Deployment' | 'CronJob';

const manifests = loadManifests();

function podSpec(kind: Workload): IPodSpec {
  if (kind === 'Deployment') {
    return findObject<{ spec: { template: { spec: IPodSpec } } }>(manifests, kind).spec.template.spec;
  }
  // The notifier's: the remediator has a CronJob of its own now.
  return findObject<{ spec: { jobTemplate: { spec: { template: { spec: IPodSpec } } } } }>(
    manifests,
    kind,
    'iam-key-monitor-notifier',
  ).spec.jobTemplate.spec.template.spec;
}

function container(spec: IPodSpec): IContainer {
  if (spec.containers.length !== 1) {
    throw new Error(`expected one container, found ${spec.containers.length}`);
  }
  return spec.containers[0];
}

/** Kubernetes quantities as docker takes them: 64Mi -> 64m, 1Gi -> 1g, plain bytes unchanged. */
function dockerSize(quantity: string | number): string {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(quantity));
  if (!match) {
    throw new Error(`cannot map the quantity ${quantity}`);
  }
  return match[2] ? `${match[1]}${match[2][0].toLowerCase()}` : match[1];
}

function dockerArgs(spec: IPodSpec): string[] {
  const c = container(spec);
  const sc = c.securityContext ?? {};
  const psc = spec.securityContext ?? {};
  const uid = sc.runAsUser ?? psc.runAsUser;
  const gid = sc.runAsGroup ?? psc.runAsGroup;
  if (uid === undefined || gid === undefined) {
    throw new Error('the pod spec sets no runAsUser/runAsGroup');
  }
  const args = [`--user=${uid}:${gid}`];
  if (sc.readOnlyRootFilesystem) {
    args.push('--read-only');
  }
  if (sc.allowPrivilegeEscalation === false) {
    args.push('--security-opt=no-new-privileges');
  }
  for (const cap of sc.capabilities?.drop ?? []) {
    args.push(`--cap-drop=${cap}`);
  }
  if ((sc.capabilities?.add ?? []).length > 0) {
    throw new Error('added capabilities are not mapped');
  }
  const limits = c.resources?.limits ?? {};
  if (limits.memory !== undefined) {
    args.push(`--memory=${dockerSize(limits.memory)}`);
  }
  if (limits.cpu !== undefined) {
    const cpu = String(limits.cpu);
    args.push(`--cpus=${cpu.endsWith('m') ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu)}`);
  }
  for (const mount of c.volumeMounts ?? []) {
    const volume = (spec.volumes ?? []).find((v) => v.name === mount.name);
    if (volume?.emptyDir) {
      const size = volume.emptyDir.sizeLimit === undefined ? '' : `,size=${dockerSize(volume.emptyDir.sizeLimit)}`;
      // An emptyDir is writable by the pod's user; Docker gives a tmpfs over an image folder that folder's mode
      // (the data folder is 0700), so the owner is the pod's user, as the kubelet's fsGroup-less emptyDir allows.
      const mode = `mode=1777,uid=${uid},gid=${gid}`;
      args.push(`--tmpfs=${mount.mountPath}:${mount.readOnly ? 'ro' : 'rw'},nosuid,nodev,${mode}${size}`);
    } else if (volume?.persistentVolumeClaim?.claimName) {
      // A named Docker volume per claim (PVC_VOLUME_PREFIX + claim name), so a second container finds the data.
      const name = `${process.env.PVC_VOLUME_PREFIX ?? ''}${volume.persistentVolumeClaim.claimName}`;
      args.push(`--mount=type=volume,src=${name},dst=${mount.mountPath}${mount.readOnly ? ',readonly' : ''}`);
    } else if (volume?.configMap?.name && mount.readOnly) {
      const dir = configMapFiles(volume.configMap.name, volume.configMap.items);
      args.push(`--mount=type=bind,src=${dir},dst=${mount.mountPath},readonly`);
    } else {
      throw new Error(`volume ${mount.name} is neither an emptyDir, a claim nor a read-only configMap: not mapped`);
    }
  }
  return args;
}

/** A ConfigMap volume as the kubelet lays it out: one world-readable file per key (or per listed item). */
function configMapFiles(name: string, items?: { key: string; path: string }[]): string {
  const data = findObject<IConfigMap>(manifests, 'ConfigMap', name).data ?? {};
  const dir = mkdtempSync(join(tmpdir(), `configmap-${name}-`));
  chmodSync(dir, 0o755);
  for (const { key, path } of items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
    if (!(key in data)) {
      throw new Error(`ConfigMap ${name} has no key ${key}`);
    }
    writeFileSync(join(dir, path), data[key], { mode: 0o644 });
  }
  return dir;
}

function graceSeconds(spec: IPodSpec): number {
  const preStop = container(spec).lifecycle?.preStop?.exec?.command ?? [];
  const sleep = preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
  return (spec.terminationGracePeriodSeconds ?? 30) - sleep;
}

function configEnv(spec: IPodSpec): string[] {
  return (container(spec).envFrom ?? []).flatMap((source) => {
    if (!source.configMapRef) {
      return [];
    }
    const map = findObject<IConfigMap>(manifests, 'ConfigMap', source.configMapRef.name);
    return Object.entries(map.data ?? {}).map(([key, value]) => `${key}=${value}`);
  });
}

const [what, kind] = process.argv.slice(2) as [string, Workload];
if (kind !== 'Deployment' && kind !== 'CronJob') {
  console.error('usage: ci-container-args.ts args|command|grace|env|heap Deployment|CronJob');
  process.exit(2);
}
const spec = podSpec(kind);
const out: Record<string, () => (string | number)[]> = {
  args: () => dockerArgs(spec),
  command: () => container(spec).command ?? [],
  grace: () => [graceSeconds(spec)],
  env: () => configEnv(spec),
  heap: () => {
    const limit = container(spec).resources?.limits?.memory;
    if (limit === undefined) {
      throw new Error(`the ${kind} sets no memory limit`);
    }
    return [podOldSpaceMb(quantityMiB(limit))];
  },
};
if (!(what in out)) {
  console.error(`unknown item ${what}`);
  process.exit(2);
}
console.log(out[what]().join('\n'));
