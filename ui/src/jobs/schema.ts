/** A JSON Schema (2020-12) node, as far as the form generator reads it. */
export interface Schema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  items?: Schema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  readOnly?: boolean;
  writeOnly?: boolean;
  'x-multiline'?: boolean;
}

export type FieldKind = 'enum' | 'string' | 'text' | 'number' | 'integer' | 'boolean' | 'string-list' | 'multi-enum' | 'object' | 'map' | 'json';

const typeOf = (schema: Schema): string | undefined => {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  return schema.type;
};

/** Which control edits a schema node; anything the generator cannot map gets a JSON editor. */
export function fieldKind(schema: Schema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'enum';
  switch (typeOf(schema)) {
    case 'string':
      return schema['x-multiline'] ? 'text' : 'string';
    case 'number':
      return 'number';
    case 'integer':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const items = schema.items;
      if (items && Array.isArray(items.enum) && items.enum.length > 0) return 'multi-enum';
      if (items && typeOf(items) === 'string') return 'string-list';
      return 'json';
    }
    case 'object':
      if (schema.properties && Object.keys(schema.properties).length > 0) return 'object';
      if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) return 'map';
      return 'json';
    default:
      return 'json';
  }
}

/** The initial value of a new form: every `default`, recursively, for objects with properties. */
export function defaultsFor(schema: Schema): unknown {
  if (schema.default !== undefined) return cloneJson(schema.default);
  if (fieldKind(schema) !== 'object') return undefined;
  const value: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const childDefault = defaultsFor(child);
    if (childDefault !== undefined) value[key] = childDefault;
  }
  return value;
}

/** Escapes one JSON Pointer segment. */
export const pointer = (key: string | number): string => '/' + String(key).replace(/~/g, '~0').replace(/\//g, '~1');

/** Structural equality for JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((item, i) => jsonEqual(item, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bKeys = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return keys.length === bKeys.length && keys.every((k) => jsonEqual(ao[k], bo[k]));
}

/** The JSON Pointer paths (under `prefix`) whose leaf values differ between two params objects. */
export function changedPaths(schema: Schema, a: unknown, b: unknown, prefix = ''): string[] {
  const kind = fieldKind(schema);
  if (kind !== 'object') return jsonEqual(a, b) ? [] : [prefix];
  const ao = (a ?? {}) as Record<string, unknown>;
  const bo = (b ?? {}) as Record<string, unknown>;
  const paths: string[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    paths.push(...changedPaths(child, ao[key], bo[key], prefix + pointer(key)));
  }
  return paths;
}

/** A deep copy of a JSON value; also reads through Solid store proxies (which structuredClone cannot). */
export const cloneJson = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));
