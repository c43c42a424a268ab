import { readFileSync } from 'node:fs';
import { repoPath } from './deploy-files';

const read = (file: string) => readFileSync(repoPath(file), 'utf8');

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) {
    throw new Error(`not a version: ${text}`);
  }
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The subset of npm's range syntax `engines` uses here: `||` of `>=x.y.z`, `^x.y.z` or `x.y.z`. */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((part) => {
    const match = /^\s*(>=|\^)?\s*(\d+\.\d+\.\d+)\s*$/.exec(part);
    if (!match) {
      throw new Error(`unsupported range part: ${part}`);
    }
    const bound = parseVersion(match[2]);
    if (match[1] === '>=') {
      return compare(version, bound) >= 0;
    }
    if (match[1] === '^') {
      return version[0] === bound[0] && compare(version, bound) >= 0;
    }
    return compare(version, bound) === 0;
  });
}

const nodeVersion = read('.node-version').trim();
const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;

describe('the Node version, stated once in .node-version', () => {
  it('is an exact, even-numbered (LTS) release, 22 or later', () => {
    expect(read('.node-version')).toMatch(/^\d+\.\d+\.\d+\n?$/);
    const [major] = parseVersion(nodeVersion);
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
  });

  it('is the base image of every Dockerfile stage', () => {
    const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(read('Dockerfile'));
    expect(arg?.[1]).toMatch(
      new RegExp(`^node:${nodeVersion.replace(/\./g, '\\.')}-bookworm-slim(@sha256:[0-9a-f]{64})?$`),
    );
    expect(read('Dockerfile').match(/^FROM .*/gm)).toEqual([
      'FROM ${NODE_IMAGE} AS build',
      'FROM ${NODE_IMAGE} AS prod-deps',
      'FROM ${NODE_IMAGE} AS runtime',
    ]);
  });

  it('is what CI runs: .ci/run takes Node from scripts/ci-node.sh, which reads .node-version, and pins no other', () => {
    const ci = read('.ci/run');
    expect(ci).toMatch(/^node_bin="\$\(bash scripts\/ci-node\.sh\)"$/m);
    expect(ci).toMatch(/^export PATH="\$node_bin:\$PATH"$/m);
    expect(read('scripts/ci-node.sh')).toMatch(/^version="\$\(tr -d '\[:space:\]' <\.node-version\)"$/m);
    for (const file of ['.ci/run', 'scripts/ci-node.sh', 'scripts/ci-docker.sh', 'scripts/container-test.sh']) {
      expect({ file, versions: read(file).match(/node[^\n]{0,20}?\b\d+\.\d+\.\d+\b/gi) ?? [] }).toEqual({
        file,
        versions: [],
      });
    }
    // The stand-in base image is tagged with the Dockerfile's NODE_IMAGE and built from the version in it.
    expect(read('scripts/ci-docker.sh')).toContain(`image="$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)"`);
  });

  it('is allowed by package.json engines', () => {
    expect(satisfies(parseVersion(nodeVersion), engines)).toBe(true);
  });

  it('is the one the README names, with the engines range and how to get it', () => {
    const readme = read('README.md');
    const section = /^## Node version\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
    expect(section).toContain(`Node ${nodeVersion}`);
    expect(section).toContain(`\`${engines}\``);
    expect(section).toContain('.node-version');
    const named = [...readme.matchAll(/\bnode(?:-linux-x64@|:| )v?(\d+\.\d+\.\d+)\b/gi)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set([nodeVersion]));
  });
});

describe(satisfies.name, () => {
  it.each([
    ['22.23.3', '>=20.19.0', true],
    ['20.18.9', '>=20.19.0', false],
    ['22.1.0', '^20.19.0 || >=22.12.0', false],
    ['20.19.1', '^20.19.0 || >=22.12.0', true],
    ['24.0.0', '^22.12.0', false],
  ])('%s in %s: %s', (version, range, expected) => {
    expect(satisfies(parseVersion(version), range)).toBe(expected);
  });
});
