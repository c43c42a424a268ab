import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { findObject, loadManifests } from '../test/deploy/deploy-files';

const MIB = 1024 * 1024;
/** V8's smallest default old generation on 64-bit (no pointer compression, as in Node's builds). */
const MIN_OLD_SPACE_MB = 256;

/** A Kubernetes memory quantity (`768Mi`, `1Gi`, bytes) in MiB. */
export function quantityMiB(quantity: string | number): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(quantity));
  if (!match) {
    throw new Error(`cannot read the memory quantity ${quantity}`);
  }
  const unit: Record<string, number> = { Ki: 1024, Mi: MIB, Gi: 1024 * MIB };
  return (Number(match[1]) * (match[2] ? unit[match[2]] : 1)) / MIB;
}

/**
 * The old-generation limit Node gives itself in a container with this memory limit and no --max-old-space-size:
 * V8 sizes its heap from the memory it is given (the cgroup limit in a pod), half of it, at least 256 MB. The
 * container test reads the real limit in the image under the Deployment's memory limit and fails if this is off.
 */
export function podOldSpaceMb(memoryLimitMiB: number): number {
  return Math.max(MIN_OLD_SPACE_MB, Math.floor(memoryLimitMiB / 2));
}

/** The API Deployment's container memory limit in MiB. */
export function apiMemoryLimitMiB(): number {
  const spec = findObject<{ spec: { template: { spec: IPodSpec } } }>(loadManifests(), 'Deployment').spec.template.spec;
  const limit = spec.containers[0]?.resources?.limits?.memory;
  if (limit === undefined) {
    throw new Error('the Deployment sets no memory limit');
  }
  return quantityMiB(limit);
}
