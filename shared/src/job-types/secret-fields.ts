/**
 * Secret fields of a job type's params. A type marks them in its JSON Schema
 * with the `x-secret` keyword:
 * - `"x-secret": true` on a string: the whole value is a secret (a header
 *   value, an environment variable's value);
 * - `"x-secret": "url-credentials"` on a URL string: the `user:password@`
 *   part, when present, is a secret.
 *
 * Secrets are write-only: stored encrypted, shown to everyone as `****` and
 * their last 4 characters, and kept when that masked value is sent back.
 * The walk follows `properties`, `additionalProperties`, `items` and
 * `prefixItems`, so a secret may sit in a map or a list.
 */
export const SECRET_KEYWORD = 'x-secret';

export type SecretKind = 'value' | 'url-credentials';

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const kindOf = (schema: Schema): SecretKind | null =>
  schema[SECRET_KEYWORD] === true ? 'value' : schema[SECRET_KEYWORD] === 'url-credentials' ? 'url-credentials' : null;

const pointer = (base: string, key: string | number) => `${base}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

/**
 * A copy of `value` in which every string at a secret position of `schema` is
 * replaced by what `visit` returns for it (`path` is a JSON Pointer from the
 * params' root). Everything else is kept as is.
 */
export function mapSecrets(schema: unknown, value: unknown, visit: (text: string, kind: SecretKind, path: string) => string, path = ''): unknown {
  if (!isObject(schema)) return value;
  const kind = kindOf(schema);
  if (kind && typeof value === 'string') return visit(value, kind, path);
  if (Array.isArray(value)) {
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
    return value.map((item, i) => mapSecrets(i < prefix.length ? prefix[i] : schema.items, item, visit, pointer(path, i)));
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const sub = Object.hasOwn(properties, key) ? properties[key] : schema.additionalProperties;
      out[key] = mapSecrets(sub, item, visit, pointer(path, key));
    }
    return out;
  }
  return value;
}

/** Whether the schema marks any field as secret. */
export function hasSecretFields(schema: unknown): boolean {
  if (!isObject(schema)) return false;
  if (kindOf(schema)) return true;
  const children = [
    ...(isObject(schema.properties) ? Object.values(schema.properties) : []),
    schema.additionalProperties,
    schema.items,
    ...(Array.isArray(schema.prefixItems) ? schema.prefixItems : []),
  ];
  return children.some(hasSecretFields);
}

/** The value at a JSON Pointer, if any. */
export function valueAtPointer(root: unknown, path: string): unknown {
  if (path === '') return root;
  let at: unknown = root;
  for (const raw of path.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) at = at[Number(key)];
    else if (isObject(at) && Object.hasOwn(at, key)) at = at[key];
    else return undefined;
  }
  return at;
}
