import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { CONFIG_NAME, findObject, loadManifests, NAMESPACE, repoPath } from './deploy-files';

const CONTROL_NAME = 'iam-key-monitor-remediation-control';
const manifests = loadManifests();
const configMap = findObject<IConfigMap>(manifests, 'ConfigMap', CONFIG_NAME).data ?? {};
const remediator = findObject<ICronJob>(manifests, 'CronJob', 'iam-key-monitor-remediator');
const pod = remediator.spec!.jobTemplate.spec!.template.spec!;
const container = pod.containers.find((c) => c.name === 'remediator')!;
const switchFile = configMap.REMEDIATION_KILL_SWITCH_FILE;
const volume = pod.volumes?.find((v) => v.configMap?.name === CONTROL_NAME);
const mount = container.volumeMounts?.find((m) => m.name === volume?.name);

/**
 * The kill switch persists and reaches a running job: a key of a ConfigMap of its own, mounted as a directory, which
 * kubelet updates in place; not a file an operator touches inside one pod, which the next run's pod never sees.
 */
describe('deploy: the remediator kill switch (a ConfigMap of its own, mounted)', () => {
  it('REMEDIATION_KILL_SWITCH_FILE is the key `stop` of the ConfigMap, mounted as a directory', () => {
    expect(switchFile).toBe('/etc/iam-key-monitor-remediation-control/stop');
    expect(volume?.configMap).toEqual({ name: CONTROL_NAME, optional: true });
    expect(mount?.mountPath).toBe(path.posix.dirname(switchFile));
    expect(mount?.readOnly).toBe(true);
  });

  it('is mounted whole, so updates reach a running pod: no subPath (never updated), no items (a key added later shows)', () => {
    expect(mount).not.toHaveProperty('subPath');
    expect(mount).not.toHaveProperty('subPathExpr');
    expect(volume?.configMap).not.toHaveProperty('items');
  });

  it('is not inside another mount of the container (a mount point in a read-only ConfigMap volume cannot be made)', () => {
    const others = (container.volumeMounts ?? []).filter((m) => m !== mount).map((m) => m.mountPath);
    const inside = others.filter((p) => mount!.mountPath.startsWith(`${p.replace(/\/$/, '')}/`));
    expect(inside).toEqual([]);
  });

  it('is never part of the kustomization: `kubectl apply -k deploy/` must not release an engaged switch', () => {
    const listed = manifests.filter((m) => m.object.kind === 'ConfigMap').map((m) => m.object.metadata.name);
    expect(listed).not.toContain(CONTROL_NAME);
  });

  it("the README's engage and release commands name that ConfigMap, its key and the namespace", () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const key = path.posix.basename(switchFile);
    const engage = new RegExp(
      `kubectl -n ${NAMESPACE} create configmap ${CONTROL_NAME} \\\\\\n\\s+--from-literal=${key}="[^"]+" --dry-run=client -o yaml \\| kubectl apply -f -`,
    );

    expect(readme).toMatch(engage);
    expect(readme).toContain(`kubectl -n ${NAMESPACE} delete configmap ${CONTROL_NAME}`);
    expect(readme).toContain(`kubectl -n ${NAMESPACE} get configmap ${CONTROL_NAME} -o jsonpath='{.data.${key}}'`);
    expect(readme).toContain(`\`REMEDIATION_KILL_SWITCH_FILE\` is \`${switchFile}\``);
  });
});
