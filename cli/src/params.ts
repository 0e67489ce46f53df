import { readFile } from 'node:fs/promises';
import { UsageError } from './args';

type Params = Record<string, unknown>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);
const isPlainObject = (value: unknown): value is Params => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value as typed on the command line: JSON when it parses (`5`, `true`, `["a"]`, `"5"`), else the text itself. */
export function parseParamValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Whether the job type's schema wants text at a params path (so `8080` stays `"8080"` there). */
export type TextPathCheck = (path: readonly string[]) => boolean;

/** A TextPathCheck from a JSON Schema: follows `properties` and `additionalProperties` down the path. */
export function textPathsOf(schema: Record<string, unknown> | undefined): TextPathCheck {
  return (path) => {
    let node: unknown = schema;
    for (const key of path) {
      if (!isPlainObject(node)) return false;
      const properties = isPlainObject(node.properties) ? node.properties : {};
      node = Object.hasOwn(properties, key) ? properties[key] : isPlainObject(node.additionalProperties) ? node.additionalProperties : undefined;
    }
    if (!isPlainObject(node)) return false;
    return node.type === 'string' || (Array.isArray(node.type) && node.type.length > 0 && node.type.every((t) => t === 'string'));
  };
}

/** One `--param KEY=VALUE`, split: the key's path and the value as typed. */
export interface ParamAssignment {
  path: string[];
  raw: string;
}

/** Checks and splits `--param` assignments (`k=v`, dotted keys for nesting); usage errors for bad ones. */
export function parseAssignments(assignments: readonly string[]): ParamAssignment[] {
  return assignments.map((assignment) => {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param takes key=value, not "${assignment}".`);
    const path = assignment.slice(0, eq).split('.');
    if (path.some((key) => key === '' || FORBIDDEN_KEYS.has(key))) throw new UsageError(`--param has a bad key: "${assignment.slice(0, eq)}".`);
    return { path, raw: assignment.slice(eq + 1) };
  });
}

/**
 * Lays assignments over `base`: `env.FOO=bar` gives `{env: {FOO: "bar"}}`;
 * later assignments win. Values are JSON when they parse, else text; where
 * `isText` says the job type wants text, the value is kept as typed.
 */
export function applyAssignments(assignments: readonly ParamAssignment[], base: Params = {}, isText: TextPathCheck = () => false): Params {
  const params = structuredClone(base);
  for (const { path, raw } of assignments) {
    let target = params;
    for (const [i, key] of path.slice(0, -1).entries()) {
      const existing = target[key];
      if (existing === undefined) target[key] = {};
      else if (!isPlainObject(existing)) {
        throw new UsageError(`--param ${path.join('.')}: "${path.slice(0, i + 1).join('.')}" is already set to a value that is not an object.`);
      }
      target = target[key] as Params;
    }
    target[path[path.length - 1]!] = isText(path) ? raw : parseParamValue(raw);
  }
  return params;
}

/** `parseAssignments` and `applyAssignments` in one go. */
export const parseParamAssignments = (assignments: readonly string[], base: Params = {}, isText?: TextPathCheck): Params =>
  applyAssignments(parseAssignments(assignments), base, isText);

/** Reads a JSON object of params from a file (`-` for stdin). */
export async function readParamsFile(file: string, readStdin: () => Promise<string>): Promise<Params> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read --params-file ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--params-file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(value)) throw new UsageError(`--params-file ${file} must hold a JSON object.`);
  return value;
}

/** The job's params with `override` laid over them, objects merged key by key. */
export function mergeParams(base: Params, override: Params): Params {
  const merged: Params = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeParams(current, value) : value;
  }
  return merged;
}
