import { mapSecrets, valueAtPointer, type ErrorDetail, type JobTypeInfo, type SecretKind } from '@jobflow/shared';
import { hintOf, isSealed, looksMasked, maskSecret, maskUrlCredentials, splitUrlCredentials, type Keyring } from './secrets';

type Params = Record<string, unknown>;

/** What everyone is shown of a secret field, sealed or (stored before sealing) not. */
const shownAs = (value: string, kind: SecretKind): string =>
  isSealed(value) ? hintOf(value) : kind === 'value' ? maskSecret(value) : maskUrlCredentials(value);

/** Whether a plaintext value at a secret position holds a secret at all (a URL without credentials does not). */
const holdsSecret = (value: string, kind: SecretKind): boolean => kind === 'value' || splitUrlCredentials(value) !== null;

const hintFor = (secret: string, kind: SecretKind): string => (kind === 'value' ? maskSecret(secret) : maskUrlCredentials(secret));

/**
 * Params as anyone may see them: every sealed value replaced by its hint, and
 * (for params stored before sealing) every secret field of `info` masked.
 */
export function maskParams(params: Params, info?: JobTypeInfo): Params {
  const masked = info ? mapSecrets(info.paramsSchema, params, (v, kind) => (isSealed(v) || holdsSecret(v, kind) ? shownAs(v, kind) : v)) : params;
  return deepMap(masked, (v) => (isSealed(v) ? hintOf(v) : v)) as Params;
}

function deepMap(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => deepMap(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepMap(v, f)]));
  return value;
}

export interface SealOptions {
  /** The params these replace (the job's, or the rerun run's), stored form: masked values sent back resolve to them. */
  stored: Params | null;
  /** Whether the caller may reuse stored secrets (the job's owner or an admin): others must send every secret they keep. */
  mayReuse: boolean;
  /** JSON Pointer prefix of the params in the request, for error details. */
  prefix?: string;
}

/**
 * The params to store, from params as a client sent them: every secret is
 * sealed, and a secret sent back as it is shown (masked) keeps the stored one
 * at the same place. A masked value that is not what the stored secret shows,
 * or a stored secret reused by someone who may not, is a problem (422).
 */
export function sealParams(info: JobTypeInfo, incoming: Params, keyring: Keyring, options: SealOptions): { params: Params; problems: ErrorDetail[] } {
  const problems: ErrorDetail[] = [];
  const prefix = options.prefix ?? '/params';
  const params = mapSecrets(info.paramsSchema, incoming, (value, kind, path) => {
    const before = valueAtPointer(options.stored, path);
    const kept = typeof before === 'string' && holdsSecret(keyring.open(before), kind) ? before : undefined;
    const masked = kind === 'value' ? value : splitUrlCredentials(value)?.credentials;
    if (masked === undefined) return value; // a URL without credentials: nothing secret
    if (!looksMasked(masked)) return keyring.seal(value, hintFor(value, kind));
    const problem = (message: string) => {
      problems.push({ path: prefix + path, message });
      return value;
    };
    const keptPlain = kept === undefined ? undefined : keyring.open(kept);
    const keptMasked = keptPlain === undefined ? undefined : kind === 'value' ? maskSecret(keptPlain) : maskSecret(splitUrlCredentials(keptPlain)!.credentials);
    if (keptMasked !== masked) return problem('is a masked value: send the secret itself (or the value exactly as shown, to keep the stored one)');
    if (!options.mayReuse) return problem("is a stored secret shown masked: only the job's owner or an admin can reuse it; send the secret itself");
    if (kind === 'value') return isSealed(kept) ? kept : keyring.seal(keptPlain!);
    // The credentials are kept; the rest of the URL may have changed.
    const sent = splitUrlCredentials(value)!;
    const merged = `${sent.scheme}${splitUrlCredentials(keptPlain!)!.credentials}@${sent.rest}`;
    return keyring.seal(merged, hintFor(merged, kind));
  }) as Params;
  return { params, problems };
}

/**
 * Params as a handler needs them (every secret opened), and the secrets
 * themselves, to be masked wherever the run writes them.
 */
export function openParams(info: JobTypeInfo, stored: Params, keyring: Keyring): { params: Params; secrets: string[] } {
  const secrets: string[] = [];
  const params = mapSecrets(info.paramsSchema, stored, (value, kind) => {
    const plain = keyring.open(value);
    if (kind === 'value') secrets.push(plain);
    else {
      const credentials = splitUrlCredentials(plain)?.credentials;
      if (credentials) {
        const [user = '', password = ''] = credentials.split(/:(.*)/s);
        secrets.push(credentials, user, password, safeDecode(user), safeDecode(password));
      }
    }
    return plain;
  }) as Params;
  return { params, secrets: [...new Set(secrets.filter(Boolean))] };
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * Stored params with every secret sealed with the current key: plaintext
 * stored before sealing is sealed, and values sealed with an older key are
 * sealed again. Null when nothing changes.
 */
export function resealParams(info: JobTypeInfo, stored: Params, keyring: Keyring): Params | null {
  let changed = false;
  const params = mapSecrets(info.paramsSchema, stored, (value, kind) => {
    if (isSealed(value) && keyring.isCurrent(value)) return value;
    const plain = keyring.open(value);
    if (!holdsSecret(plain, kind)) return value;
    changed = true;
    return keyring.seal(plain, isSealed(value) ? hintOf(value) : hintFor(plain, kind));
  }) as Params;
  return changed ? params : null;
}
