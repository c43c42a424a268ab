import { existsSync, readFileSync } from 'node:fs';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { listFiles, repoPath } from './deploy-files';

export type EnvClass = new () => object;

export interface EnvSchema {
  /** `path#ClassName`, relative to the repo root. */
  id: string;
  known: Set<string>;
  /** Variables without a default initializer and without @IsOptional: the app refuses to boot without them. */
  required: Set<string>;
  envClass: EnvClass;
}

/** The env classes this check expects today; each is checked once its file exists. */
export const EXPECTED_ENV_CLASSES = [
  'apps/api/src/config/api.config.ts#ApiEnv',
  'libs/iam/src/config/iam.config.ts#IamEnv',
  'libs/notifier/src/config/notifier.config.ts#NotifierEnv',
];

/** Variables read by the AWS SDK itself (credential chain), which no env class declares. Secret only. */
export const AWS_SDK_SECRET_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

function productionSources(): string[] {
  return [...listFiles(repoPath('apps')), ...listFiles(repoPath('libs'))].filter(
    (file) =>
      file.endsWith('.ts') &&
      !file.endsWith('.spec.ts') &&
      !file.endsWith('.e2e-spec.ts') &&
      !file.startsWith('libs/iam-emulator/'),
  );
}

/**
 * Every class the production code hands to `validateEnv(Class, ...)`, found by scanning the sources, so env classes
 * added later are checked without touching this test. Each entry is `path#ClassName` of the file declaring it.
 */
export function discoverEnvClassIds(): string[] {
  const sources = productionSources().map((file) => ({ file, text: readFileSync(repoPath(file), 'utf8') }));
  const names = new Set(
    sources.flatMap(({ text }) => [...text.matchAll(/\bvalidateEnv\(\s*([A-Z]\w*)\s*,/g)].map((m) => m[1])),
  );
  const ids = [...names].flatMap((name) =>
    sources.filter(({ text }) => new RegExp(`export class ${name}\\b`).test(text)).map(({ file }) => `${file}#${name}`),
  );
  return [...new Set([...ids, ...EXPECTED_ENV_CLASSES.filter((id) => existsSync(repoPath(id.split('#')[0])))])].sort();
}

export function loadEnvSchema(id: string): EnvSchema {
  const [file, name] = id.split('#');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(repoPath(file)) as Record<string, unknown>;
  const envClass = mod[name] as EnvClass | undefined;
  if (typeof envClass !== 'function') {
    throw new Error(`${file} does not export a class ${name}`);
  }
  const metadata = getMetadataStorage().getTargetValidationMetadatas(envClass, '', true, false);
  const instance = new envClass() as Record<string, unknown>;
  const known = new Set([...metadata.map((m) => m.propertyName), ...Object.keys(instance)]);
  const optional = new Set(
    metadata.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION).map((m) => m.propertyName),
  );
  const required = new Set([...known].filter((key) => instance[key] === undefined && !optional.has(key)));
  return { id, known, required, envClass };
}
