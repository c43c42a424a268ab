import { podOldSpaceMb, quantityMiB } from './pod-heap';

describe('pod heap', () => {
  it('reads Kubernetes memory quantities in MiB', () => {
    expect(quantityMiB('768Mi')).toBe(768);
    expect(quantityMiB('1Gi')).toBe(1024);
    expect(quantityMiB('524288Ki')).toBe(512);
    expect(quantityMiB(268435456)).toBe(256);
    for (const bad of ['768M', '1.5Gi', '', 'lots']) {
      expect(() => quantityMiB(bad)).toThrow(`cannot read the memory quantity ${bad}`);
    }
  });

  it('gives the old generation half the memory limit, at least 256 MB (measured in the image: 768Mi → 384, 384Mi → 256)', () => {
    expect(podOldSpaceMb(768)).toBe(384);
    expect(podOldSpaceMb(384)).toBe(256);
    expect(podOldSpaceMb(2048)).toBe(1024);
    expect(podOldSpaceMb(1001)).toBe(500);
  });
});
