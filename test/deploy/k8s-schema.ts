import { join } from 'node:path';
import ts from 'typescript';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { REPO_ROOT, type K8sObject } from './deploy-files';

interface Validatable {
  validate(): void;
}

/**
 * The kinds deploy/ may use, by `apiVersion/kind`. A manifest of any other kind fails the check until it is added
 * here, so nothing slips through unvalidated.
 */
const MODELS: Record<string, new (data: never) => Validatable> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/CronJob': CronJob,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

export function modelKey(object: Pick<K8sObject, 'apiVersion' | 'kind'>): string {
  return `${object.apiVersion}/${object.kind}`;
}

export function isKnownKind(object: Pick<K8sObject, 'apiVersion' | 'kind'>): boolean {
  return modelKey(object) in MODELS;
}

/**
 * Validates one object against the Kubernetes OpenAPI schema compiled into kubernetes-models: types, enums,
 * formats and required fields. Throws with the JSON path of every problem.
 */
export function validateSchema(object: K8sObject): void {
  const Model = MODELS[modelKey(object)];
  if (!Model) {
    throw new Error(`no kubernetes-models class registered for ${modelKey(object)}`);
  }
  new Model(object as never).validate();
}

export interface TypedObject {
  label: string;
  object: K8sObject;
}

/**
 * The OpenAPI schemas allow unknown fields (the API server drops them, or rejects them only with
 * `--validate=strict`), so a typo such as `readinesProbe` would pass validateSchema and silently do nothing.
 * This closes the gap: each object becomes a TypeScript object literal typed with kubernetes-models' interface
 * for its kind, and the compiler's excess-property check reports every field, at any depth, the type lacks
 * (wrong types are reported too). Returns the problems per label; an empty map means all objects are clean.
 */
export function findTypeErrors(objects: TypedObject[]): Map<string, string[]> {
  const fileName = join(REPO_ROOT, 'test', 'deploy', '__manifests_typecheck__.ts');
  const lines: string[] = [];
  const spans: { label: string; from: number; to: number }[] = [];
  objects.forEach(({ object }, i) => {
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
    const modulePath = ['kubernetes-models', group, version, object.kind].filter(Boolean).join('/');
    lines.push(`import type { I${object.kind} as T${i} } from '${modulePath}';`);
  });
  objects.forEach(({ label, object }, i) => {
    const json = JSON.stringify(object, null, 2).split('\n');
    json[0] = `export const m${i}: T${i} = ${json[0]}`;
    json[json.length - 1] += ';';
    spans.push({ label, from: lines.length, to: lines.length + json.length - 1 });
    lines.push(...json);
  });
  const source = lines.join('\n');

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, languageVersion, true)
      : getSourceFile.call(host, name, languageVersion, ...rest);
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  host.readFile = (name) => (name === fileName ? source : readFile.call(host, name));

  const program = ts.createProgram([fileName], options, host);
  const sourceFile = program.getSourceFile(fileName);
  const problems = new Map<string, string[]>();
  for (const diagnostic of [
    ...program.getSyntacticDiagnostics(sourceFile),
    ...program.getSemanticDiagnostics(sourceFile),
  ]) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const line =
      diagnostic.file && diagnostic.start !== undefined
        ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line
        : -1;
    const span = spans.find((s) => line >= s.from && line <= s.to);
    const label = span?.label ?? '(imports)';
    problems.set(label, [...(problems.get(label) ?? []), message]);
  }
  return problems;
}
