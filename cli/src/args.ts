import { parseArgs } from 'node:util';
import { didYouMean } from './suggest';

/** An option as `node:util` parseArgs takes it, with what shell completions show for it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** One line for shell completions (the `--help` text says more). */
  description: string;
  /** A value that names a file, so completions offer file names. */
  isFile?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** A mistake in how the command was called: exit 2 with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print JSON, ready for jq' },
} as const satisfies OptionSpecs;

/** Options `jobflow` takes anywhere before `--`, whatever the command. */
export const GLOBAL_OPTIONS = {
  'no-color': { type: 'boolean', description: 'never colour the output (as NO_COLOR does)' },
} as const satisfies OptionSpecs;

/**
 * `node:util` parseArgs in strict mode, with its errors turned into usage
 * errors (an unknown option names the closest known one) and the number of
 * positionals checked.
 */
export function parseCommandArgs<O extends OptionSpecs>(argv: string[], options: O, positionals: { min: number; max: number; names: string }) {
  const config = {
    args: argv,
    options: { ...COMMON_OPTIONS, ...options } as typeof COMMON_OPTIONS & O,
    allowPositionals: true,
    strict: true,
  } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    throw new UsageError(explainParseError(error as Error & { code?: string }, config.options));
  }
  const values = parsed.values as typeof parsed.values & { help?: boolean; json?: boolean };
  if (!values.help) {
    if (parsed.positionals.length < positionals.min) throw new UsageError(`Missing ${positionals.names}.`);
    if (parsed.positionals.length > positionals.max) {
      throw new UsageError(`Unexpected argument "${parsed.positionals[positionals.max]}".`);
    }
  }
  return { values, positionals: parsed.positionals };
}

function explainParseError(error: Error & { code?: string }, options: OptionSpecs): string {
  const message = error.message.replace(/\. To specify a positional argument.*$/s, '.');
  const unknown = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(--[^'=]+)/.exec(error.message)?.[1] : undefined;
  if (!unknown) return message;
  const known = Object.keys(options).map((name) => `--${name}`);
  return message + didYouMean(unknown, known, (name) => name);
}

/** A whole number option, or a usage error naming it. */
export function intOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, not "${value}".`);
  return Number(value);
}

/**
 * Picks the subcommand named first in `argv` (or by one of its aliases), or
 * explains what is missing or mistyped.
 */
export function pickSubcommand<S extends { name: string; aliases?: readonly string[] }>(subcommands: readonly S[], argv: string[]): [S, string[]] {
  const [word, ...rest] = argv;
  const names = subcommands.map((s) => s.name);
  const list = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  if (word === undefined) throw new UsageError(`Missing the subcommand: ${list}.`);
  const found = subcommands.find((s) => s.name === word || s.aliases?.includes(word));
  if (!found) {
    const suggestion = didYouMean(word, [...names, ...subcommands.flatMap((s) => s.aliases ?? [])]);
    throw new UsageError(`Unknown subcommand "${word}": use ${list}.${suggestion}`);
  }
  return [found, rest];
}
