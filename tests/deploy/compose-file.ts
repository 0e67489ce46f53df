import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoPath } from './tools';

/** A service of a Compose file, with the fields the tests look at. */
export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | null>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  restart?: string;
  deploy?: { replicas?: string | number };
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The Compose file as written: YAML merge keys resolved, `${...}` left as they are. */
export const readComposeFile = (path = repoPath('docker-compose.yml')): ComposeFile => parse(readFileSync(path, 'utf8'), { merge: true });

/**
 * Substitutes variables the way Compose does (`$$`, `$VAR`, `${VAR}`,
 * `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
 * `${VAR:+alt}`, `${VAR+alt}`, nested in defaults). Returns the rendered
 * file and the errors of required variables that are missing.
 */
export function renderCompose(file: ComposeFile, env: Record<string, string>): { rendered: ComposeFile; errors: string[] } {
  const errors = new Set<string>();

  const substitute = (text: string): string => {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      if (text[i] !== '$') {
        out += text[i];
        continue;
      }
      const next = text[i + 1];
      if (next === '$') {
        out += '$';
        i++;
      } else if (next === '{') {
        let depth = 1;
        let j = i + 2;
        for (; j < text.length && depth; j++) depth += text[j] === '{' ? 1 : text[j] === '}' ? -1 : 0;
        out += expand(text.slice(i + 2, j - 1));
        i = j - 1;
      } else {
        const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
        if (!name) out += '$';
        else {
          out += env[name] ?? '';
          i += name.length;
        }
      }
    }
    return out;
  };

  const expand = (expression: string): string => {
    const [, name, op = '', rest = ''] = /^([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?([\s\S]*)$/.exec(expression) ?? [];
    if (!name) throw new Error(`invalid interpolation: \${${expression}}`);
    const value = env[name];
    const isSet = value !== undefined;
    const isFilled = isSet && value !== '';
    switch (op) {
      case '':
        return value ?? '';
      case ':-':
        return isFilled ? value : substitute(rest);
      case '-':
        return isSet ? value : substitute(rest);
      case ':?':
      case '?':
        if (op === ':?' ? isFilled : isSet) return value!;
        errors.add(`${name}: ${substitute(rest)}`);
        return '';
      case ':+':
        return isFilled ? substitute(rest) : '';
      case '+':
        return isSet ? substitute(rest) : '';
      default:
        throw new Error(`invalid interpolation: \${${expression}}`);
    }
  };

  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return substitute(node);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };

  return { rendered: walk(file) as ComposeFile, errors: [...errors] };
}

/** A Compose duration ("45s", "1m30s") in milliseconds. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map(([p]) => p).join('') !== text) throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0);
}
