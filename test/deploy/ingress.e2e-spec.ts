import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { findObject, loadManifests, NAMESPACE, repoPath, type K8sObject } from './deploy-files';
import { validateSchema } from './k8s-schema';

const overlay = parse(readFileSync(repoPath('deploy/ingress/kustomization.yaml'), 'utf8')) as { resources: string[] };
const ingress = parse(readFileSync(repoPath('deploy/ingress/ingress.yaml'), 'utf8')) as IIngress;
const service = findObject<IService>(loadManifests(), 'Service');

describe('deploy/ingress (optional overlay)', () => {
  it('is the base plus the Ingress, and the Ingress is schema-valid', () => {
    expect(overlay.resources).toEqual(['../', 'ingress.yaml']);
    expect(() => validateSchema(ingress as unknown as K8sObject)).not.toThrow();
    expect(ingress.metadata?.namespace).toBe(NAMESPACE);
  });

  it('publishes only /v1 and /health, to the API port, never /docs or /metrics', () => {
    const paths = (ingress.spec?.rules ?? []).flatMap((rule) => rule.http?.paths ?? []);
    expect(paths.map((p) => [p.path, p.pathType])).toEqual([
      ['/v1', 'Prefix'],
      ['/health', 'Prefix'],
    ]);
    const httpPort = service.spec?.ports?.find((p) => p.name === 'http');
    for (const { backend } of paths) {
      expect(backend.service?.name).toBe(service.metadata?.name);
      expect(backend.service?.port?.name).toBe(httpPort?.name);
    }
    // The Service has no port for metrics: the ingress could not route to it even with a path.
    expect(service.spec?.ports?.map((p) => p.name)).toEqual(['http']);
    expect(ingress.spec?.defaultBackend).toBeUndefined();
  });

  it('serves TLS for every host it routes', () => {
    const hosts = (ingress.spec?.rules ?? []).map((rule) => rule.host);
    expect(hosts.length).toBeGreaterThan(0);
    expect(ingress.spec?.tls?.flatMap((t) => t.hosts ?? [])).toEqual(hosts);
  });
});
