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

/**
 * Turns `--param` assignments into params: `k=v`, with dotted keys for nested
 * objects (`env.FOO=bar` gives `{env: {FOO: "bar"}}`). Later assignments win.
 */
export function parseParamAssignments(assignments: readonly string[], base: Params = {}): Params {
  const params = structuredClone(base);
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param takes key=value, not "${assignment}".`);
    const path = assignment.slice(0, eq).split('.');
    if (path.some((key) => key === '' || FORBIDDEN_KEYS.has(key))) throw new UsageError(`--param has a bad key: "${assignment.slice(0, eq)}".`);
    let target = params;
    for (const [i, key] of path.slice(0, -1).entries()) {
      const existing = target[key];
      if (existing === undefined) target[key] = {};
      else if (!isPlainObject(existing)) {
        throw new UsageError(`--param ${assignment.slice(0, eq)}: "${path.slice(0, i + 1).join('.')}" is already set to a value that is not an object.`);
      }
      target = target[key] as Params;
    }
    target[path[path.length - 1]!] = parseParamValue(assignment.slice(eq + 1));
  }
  return params;
}

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
