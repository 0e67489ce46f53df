import { MASK } from '@jobflow/core/platform';

/** Secrets shorter than this are not masked in text (as in CI systems): masking them would garble ordinary words and numbers. */
export const MIN_MASKED_CHARS = 8;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces every occurrence of each of a run's secrets with `****`, as CI
 * systems do with the output of a job: for log lines, error messages and the
 * result, so a script that prints a secret does not show it to everyone.
 * Longer secrets are matched first, so one that contains another is masked whole.
 */
export function createSecretMasker(secrets: readonly string[]) {
  const masked = [...new Set(secrets)].filter((s) => s.length >= MIN_MASKED_CHARS).sort((a, b) => b.length - a.length);
  const pattern = masked.length ? new RegExp(masked.map(escape).join('|'), 'g') : null;
  const text = (value: string): string => (pattern ? value.replace(pattern, MASK) : value);
  const deep = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(deep);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [text(k), deep(v)]));
    return value;
  };
  return {
    text,
    /** A copy of a JSON value with every string (and key) masked. */
    value: <T>(value: T): T => (pattern ? (deep(value) as T) : value),
  };
}

export type SecretMasker = ReturnType<typeof createSecretMasker>;
