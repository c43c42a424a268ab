import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const NAMESPACE = 'iam-key-monitor';
export const CONFIG_NAME = 'iam-key-monitor';
/** One Secret per workload: only the API's holds API_TOKENS, and only the API requires its Secret. */
export const API_SECRET_NAME = 'iam-key-monitor-api';
export const NOTIFIER_SECRET_NAME = 'iam-key-monitor-notifier';
/** Optional, shared: DATABASE_URL for the API and the jobs (and the POSTGRES_* keys deploy/postgres's server reads). */
export const DATABASE_SECRET_NAME = 'iam-key-monitor-database';
export const API_SERVICE_ACCOUNT = 'iam-key-monitor-api';
/** Applied on their own (`kubectl apply -f`), not by the kustomization: both need PostgreSQL. */
export const SCAN_MANIFESTS = ['deploy/scan-job.yaml', 'deploy/scan-cronjob.yaml'];
export const NOTIFIER_SERVICE_ACCOUNT = 'iam-key-monitor-notifier';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface Manifest {
  /** Path relative to the repo root, e.g. `deploy/deployment.yaml`. */
  file: string;
  /** Position of the document inside a multi-document file. */
  index: number;
  object: K8sObject;
}

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

/** Every file under a folder, relative to the repo root. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [relative(REPO_ROOT, path)];
  });
}

/** Parses YAML strictly: any syntax error or duplicate key throws with the file name. */
export function parseYamlDocuments(file: string, text = readFileSync(repoPath(file), 'utf8')): unknown[] {
  return parseAllDocuments(text, { uniqueKeys: true, strict: true }).map((doc, index) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) {
      throw new Error(`${file} (document ${index}): ${problems.map((p) => p.message).join('; ')}`);
    }
    return doc.toJS() as unknown;
  });
}

export interface Kustomization {
  apiVersion: string;
  kind: string;
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  [key: string]: unknown;
}

export function loadKustomization(): Kustomization {
  const [doc] = parseYamlDocuments('deploy/kustomization.yaml');
  return doc as Kustomization;
}

/** The objects `kubectl apply -k deploy/` creates, read from the files the kustomization names. */
export function loadManifests(): Manifest[] {
  return (loadKustomization().resources ?? []).flatMap((resource) => {
    const file = `deploy/${resource}`;
    return parseYamlDocuments(file)
      .filter((doc) => doc !== null && doc !== undefined)
      .map((doc, index) => ({ file, index, object: doc as K8sObject }));
  });
}

export function findObject<T = K8sObject>(manifests: Manifest[], kind: string, name?: string): T {
  const found = manifests.filter(
    (m) => m.object.kind === kind && (name === undefined || m.object.metadata.name === name),
  );
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`);
  }
  return found[0].object as T;
}

/**
 * Reads a `kubectl create secret --from-env-file` file: KEY=value lines, `#` comments and blank lines ignored.
 * Returns the active entries and, separately, the keys only present as commented placeholders (`# KEY=...`).
 */
export function parseEnvFile(text: string): { entries: Map<string, string>; commented: Set<string> } {
  const entries = new Map<string, string>();
  const commented = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const placeholder = /^#\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (placeholder) {
      commented.add(placeholder[1]);
      continue;
    }
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) {
      throw new Error(`not a KEY=value line: ${line}`);
    }
    entries.set(match[1], match[2]);
  }
  return { entries, commented };
}

export type SecretTemplate = ReturnType<typeof parseEnvFile>;

/** The env-file templates of the two Secrets, `deploy/secret-<app>.example.env`. */
export function loadSecretTemplate(app: 'api' | 'notifier'): SecretTemplate {
  return parseEnvFile(readFileSync(repoPath(`deploy/secret-${app}.example.env`), 'utf8'));
}
