import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import * as ts from 'typescript';
import { REPO_ROOT, repoPath } from './deploy-files';

interface Stage {
  name: string;
  base: string;
  lines: string[];
}

/** Splits the Dockerfile into stages, joining `\` continuations and dropping comments. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) {
      const base = from[1].replace(/^\$\{(\w+)\}$/, (_, name: string) => args.get(name) ?? name);
      stages.push({ name: from[2] ?? String(stages.length), base, lines: [] });
    } else if (stages.length === 0) {
      const arg = /^ARG\s+(\w+)=(\S+)$/.exec(line);
      if (arg) {
        args.set(arg[1], arg[2]);
      }
    } else {
      stages[stages.length - 1].lines.push(line);
    }
  }
  return { args, stages };
}

/**
 * .dockerignore semantics (Go filepath.Match plus `**`, `!` exceptions, last match wins; a pattern matching a
 * folder excludes what is inside it).
 */
function dockerIgnored(patterns: string[], path: string): boolean {
  const toRegex = (pattern: string) =>
    new RegExp(
      '^' +
        pattern
          .replace(/\/$/, '')
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\/?/g, '\uE000')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replace(/\uE000/g, '(?:.*/)?') +
        '(?:/.*)?$',
    );
  let ignored = false;
  for (const raw of patterns) {
    const exception = raw.startsWith('!');
    const pattern = exception ? raw.slice(1) : raw;
    if (toRegex(pattern).test(path)) {
      ignored = !exception;
    }
  }
  return ignored;
}

const { stages } = parseDockerfile(readFileSync(repoPath('Dockerfile'), 'utf8'));
const runtime = stages[stages.length - 1];
const ignorePatterns = readFileSync(repoPath('.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('Dockerfile', () => {
  it('builds from a Node LTS base pinned to an exact version (>= 22) in every stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const match = /^node:(\d+)\.(\d+)\.(\d+)-[a-z-]+(@sha256:[0-9a-f]{64})?$/.exec(stage.base);
      expect(match).not.toBeNull();
      expect(Number(match![1]) % 2).toBe(0);
      expect(Number(match![1])).toBeGreaterThanOrEqual(22);
    }
  });

  it('compiles both apps with dev dependencies in a build stage', () => {
    const build = stages.find((s) => s.lines.some((l) => /^RUN .*npm run build/.test(l)));
    expect(build).toBeDefined();
    expect(build!.lines.some((l) => /^RUN .*npm ci(?!.*--omit=dev)/.test(l))).toBe(true);
    expect(build).not.toBe(runtime);
  });

  it('ships production dependencies only, installed without running scripts', () => {
    const installs = stages.flatMap((s) => s.lines.filter((l) => /npm ci/.test(l)).map((l) => ({ stage: s.name, l })));
    const prodInstall = installs.find(({ l }) => /--omit=dev/.test(l));
    expect(prodInstall?.l).toMatch(/--ignore-scripts/);
    const copiedModules = runtime.lines.find((l) => /^COPY .*node_modules/.test(l));
    expect(copiedModules).toMatch(new RegExp(`--from=${prodInstall!.stage}\\b`));
  });

  it('runs as a numeric non-root user with NODE_ENV=production and the API as default command', () => {
    const user = runtime.lines.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    expect(runtime.lines).toContain('ENV NODE_ENV=production');
    expect(runtime.lines.filter((l) => l.startsWith('CMD ')).at(-1)).toBe('CMD ["node", "dist/apps/api/main.js"]');
  });

  it("needs no registry for its frontend: no `# syntax=` line, the engine's built-in one", () => {
    expect(readFileSync(repoPath('Dockerfile'), 'utf8')).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it('hands npm its config and CA only as optional BuildKit secrets, mounted while `npm ci` runs', () => {
    const installs = stages.flatMap((s) => s.lines).filter((l) => /npm ci/.test(l));
    expect(installs).toHaveLength(2);
    for (const line of installs) {
      expect(line).toContain('--mount=type=secret,id=npmrc,target=/root/.npmrc,required=false');
      expect(line).toContain('--mount=type=secret,id=ca,target=/run/secrets/ca.pem,required=false');
      expect(line).toContain('NODE_EXTRA_CA_CERTS=/run/secrets/ca.pem npm_config_cafile=/run/secrets/ca.pem');
    }
    const all = stages.flatMap((s) => s.lines);
    expect(all.filter((l) => /^(COPY|ADD|ENV|ARG)\s.*(npmrc|\.pem|\.crt|cafile|CA_CERTS)/i.test(l))).toEqual([]);
  });

  it('holds no secret', () => {
    const all = stages.flatMap((s) => s.lines);
    expect(all.filter((l) => /^(ENV|ARG)\s.*(TOKEN|SECRET|PASSWORD|ACCESS_KEY)/i.test(l))).toEqual([]);
    expect(all.filter((l) => /^(COPY|ADD)\s.*\.env/.test(l))).toEqual([]);
  });
});

describe('.dockerignore', () => {
  it.each([
    'node_modules/express/index.js',
    'dist/apps/api/main.js',
    '.git/HEAD',
    '.env',
    '.env.deploy',
    'apps/api/.env.local',
    'coverage/lcov.info',
    'test/deploy/manifests.e2e-spec.ts',
    'apps/api/src/old-keys/old-keys.controller.spec.ts',
    'test-output/jest-results.json',
    'deploy/secret.example.env',
    'libs/iam-emulator/src/index.ts',
  ])('keeps %s out of the build context', (path) => {
    expect(dockerIgnored(ignorePatterns, path)).toBe(true);
  });

  it.each([
    'package.json',
    'package-lock.json',
    'nest-cli.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'apps/api/src/main.ts',
    'apps/notifier/src/main.ts',
    'apps/remediator/src/main.ts',
    'apps/scanner/src/main.ts',
    'libs/iam/src/index.ts',
  ])('lets %s in', (path) => {
    expect(dockerIgnored(ignorePatterns, path)).toBe(false);
  });

  it('lets in every path the Dockerfile copies from the context', () => {
    const sources = stages
      .flatMap((s) => s.lines)
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => dockerIgnored(ignorePatterns, source))).toEqual([]);
  });
});

describe('what the build compiles (tsconfig.build.json)', () => {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    repoPath('tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const files = parsed.fileNames.map((f) => relative(REPO_ROOT, f));
  const devDependencies = Object.keys(
    (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { devDependencies: Record<string, string> })
      .devDependencies,
  );
  const imports = files.flatMap((file) =>
    ts.preProcessFile(readFileSync(repoPath(file), 'utf8'), true, true).importedFiles.map(({ fileName }) => {
      const resolved = ts.resolveModuleName(fileName, repoPath(file), parsed.options, ts.sys).resolvedModule;
      return {
        file,
        specifier: fileName,
        target: resolved && !resolved.isExternalLibraryImport ? relative(REPO_ROOT, resolved.resolvedFileName) : null,
      };
    }),
  );

  it('is the four apps and their libraries, with no spec, test helper or emulator', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'apps/api/src/main.ts',
        'apps/notifier/src/main.ts',
        'apps/remediator/src/main.ts',
        'apps/scanner/src/main.ts',
      ]),
    );
    expect(
      files.filter((f) =>
        /\.(e2e-)?spec\.ts$|(^|\/)testing\/|\.testing\.ts$|\.fixture\.ts$|^(test|scripts|libs\/iam-emulator)\//.test(f),
      ),
    ).toEqual([]);
  });

  it('imports only files the Docker build context lets in (a test helper importing the emulator broke the build)', () => {
    const local = imports.filter((i) => i.target !== null);
    expect(local.length).toBeGreaterThan(50);
    expect(
      local.filter((i) => dockerIgnored(ignorePatterns, i.target!) || i.target!.includes('node_modules/')),
    ).toEqual([]);
  });

  it('imports no dev dependency', () => {
    const packageOf = (specifier: string) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
    expect(imports.filter((i) => i.target === null && devDependencies.includes(packageOf(i.specifier)))).toEqual([]);
  });
});
