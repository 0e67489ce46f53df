import ts from 'typescript';
import { repoPath } from './tools';

/** A rendered Kubernetes object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

/**
 * The module of the `kubernetes-models` packages that holds the model (JSON
 * Schema validator and TypeScript type) of an apiVersion and kind: Kubernetes'
 * own API, KEDA's and the Prometheus Operator's custom resources.
 */
export function modelModule({ apiVersion, kind }: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${version}/${kind}`;
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}/${kind}`;
  return `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
}

/** Validates an object against its JSON Schema (types, enums, required fields); returns the errors. */
export async function schemaErrors(object: KubeObject): Promise<string[]> {
  let model: new (data: unknown) => { validate(): void };
  try {
    model = (await import(modelModule(object)))[object.kind];
  } catch {
    return [`no schema for ${object.apiVersion} ${object.kind}`];
  }
  try {
    new model(object).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/**
 * Fields the API does not know (a misspelt `readinesProbe` is dropped by the
 * JSON Schema check, refused by `kubectl apply`): every object is type-checked
 * as a literal of its model's TypeScript type, whose excess-property check
 * reaches every nested field. Returns one message per unknown or mistyped field.
 */
export function unknownFields(objects: KubeObject[]): string[] {
  const fileName = repoPath('tests/deploy/rendered-manifests.generated.ts');
  const source = objects
    .map((o, i) => `import type { I${o.kind} as T${i} } from '${modelModule(o)}';\nexport const o${i}: T${i} = ${JSON.stringify(o)};`)
    .join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  host.readFile = (name) => (name === fileName ? source : readFile.call(host, name));
  const program = ts.createProgram([fileName], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === fileName)
    .map((d) => {
      const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const object = objects[Math.floor(line / 2)];
      const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      return `${object?.kind}/${object?.metadata.name}: ${message}`;
    });
}
