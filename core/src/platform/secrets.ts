import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/*
 * Secrets at rest: each secret is stored as one self-describing string,
 *   jfenc:1:<key id>:<hint>:<data>
 * where <data> is AES-256-GCM (12-byte IV, ciphertext, 16-byte tag) under
 * SECRETS_KEY, <key id> names that key (so a key can be rotated: older keys
 * stay readable through SECRETS_KEY_PREVIOUS), and <hint> is what everyone is
 * shown instead of the secret (`****` and its last 4 characters), bound to the
 * ciphertext as associated data. Showing a secret therefore never needs the key.
 */

const PREFIX = 'jfenc:1:';
const SEALED = /^jfenc:1:([0-9a-f]{8}):([A-Za-z0-9_-]*):([A-Za-z0-9_-]+)$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a secret is shown as. */
export const MASK = '****';
/** Secrets shorter than this are shown as `****` alone: their last 4 characters would give most of them away. */
const MIN_HINTED_CHARS = 12;

/** `****` and the last 4 characters: enough to recognise a secret, not to use it. */
export const maskSecret = (secret: string): string => MASK + (secret.length >= MIN_HINTED_CHARS ? secret.slice(-4) : '');

/** The origin of a URL whose path and query are secret (a webhook, a Slack URL), then `****` and its last 4 characters. */
export function maskUrl(url: string): string {
  try {
    return `${new URL(url).origin}/${MASK}${url.length >= 24 ? url.slice(-4) : ''}`;
  } catch {
    return MASK;
  }
}

const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@(.*)$/is;

/** A URL's `user:password` part and the rest around it, or null when it has none. */
export function splitUrlCredentials(url: string): { scheme: string; credentials: string; rest: string } | null {
  const m = URL_CREDENTIALS.exec(url);
  return m ? { scheme: m[1]!, credentials: m[2]!, rest: m[3]! } : null;
}

/** The URL with its `user:password@` part masked (the rest shown). */
export function maskUrlCredentials(url: string): string {
  const parts = splitUrlCredentials(url);
  return parts ? `${parts.scheme}${maskSecret(parts.credentials)}@${parts.rest}` : url;
}

/** Whether a value looks like one the API shows masked (a client must not store it as a secret). */
export const looksMasked = (value: string): boolean => value.startsWith(MASK) || value.includes(`/${MASK}`) || value.includes(`//${MASK}`);

/** Whether a stored value is a sealed secret. */
export const isSealed = (value: unknown): value is string => typeof value === 'string' && SEALED.test(value);

/** What a sealed secret is shown as (no key needed). */
export function hintOf(sealed: string): string {
  const m = SEALED.exec(sealed);
  return m ? Buffer.from(m[2]!, 'base64url').toString('utf8') : MASK;
}

/** A secret that cannot be opened: its key is not configured, or it was tampered with. */
export class SecretUnreadableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Encrypts and decrypts secrets with the configured keys. */
export interface Keyring {
  /** The id of the key new secrets are sealed with. */
  readonly currentKeyId: string;
  /** Seals `secret`; everyone will be shown `hint` (default: `maskSecret(secret)`). */
  seal(secret: string, hint?: string): string;
  /** The secret inside a sealed value; a value that is not sealed is returned as is (stored before sealing). */
  open(value: string): string;
  /** Whether a sealed value is sealed with the current key. */
  isCurrent(sealed: string): boolean;
}

const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/** Reads a 32-byte key written as 64 hex digits or as base64. */
export function parseSecretsKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new Error('must be 32 random bytes, as 64 hex digits or base64 (make one with `openssl rand -hex 32`)');
  return key;
}

/** SECRETS_KEY (required: the key new secrets are sealed with) and SECRETS_KEY_PREVIOUS (comma-separated older keys, still read). */
export const SecretsEnv = z.object({
  SECRETS_KEY: z.string({ error: 'is not set: make one with `openssl rand -hex 32` (or let `make start` write one to .env)' }).superRefine((value, ctx) => {
    try {
      parseSecretsKey(value);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  }),
  SECRETS_KEY_PREVIOUS: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      for (const key of (value ?? '').split(',').filter((k) => k.trim())) {
        try {
          parseSecretsKey(key);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
        }
      }
    }),
});

/** The keys as the config carries them: the current one first. */
export const secretsConfig = (env: z.infer<typeof SecretsEnv>) => ({
  key: env.SECRETS_KEY,
  previousKeys: (env.SECRETS_KEY_PREVIOUS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean),
});
export type SecretsConfig = ReturnType<typeof secretsConfig>;

export function createKeyring({ key, previousKeys = [] }: { key: string; previousKeys?: readonly string[] }): Keyring {
  const current = parseSecretsKey(key);
  const currentKeyId = keyIdOf(current);
  const keys = new Map([current, ...previousKeys.map(parseSecretsKey)].map((k) => [keyIdOf(k), k]));

  return {
    currentKeyId,
    seal(secret, hint = maskSecret(secret)) {
      const hintText = Buffer.from(hint, 'utf8').toString('base64url');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(hintText));
      const data = Buffer.concat([iv, cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${PREFIX}${currentKeyId}:${hintText}:${data.toString('base64url')}`;
    },
    open(value) {
      const m = SEALED.exec(value);
      if (!m) return value;
      const [, keyId, hintText, dataText] = m as unknown as [string, string, string, string];
      const k = keys.get(keyId);
      if (!k) throw new SecretUnreadableError(`a secret is sealed with key ${keyId}, which is not configured (set it in SECRETS_KEY_PREVIOUS)`);
      const data = Buffer.from(dataText, 'base64url');
      try {
        const decipher = createDecipheriv('aes-256-gcm', k, data.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(hintText));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretUnreadableError(`a secret sealed with key ${keyId} does not decrypt (it was altered)`);
      }
    },
    isCurrent: (sealed) => SEALED.exec(sealed)?.[1] === currentKeyId,
  };
}
