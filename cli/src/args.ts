import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: exit 2 with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies Options;

/**
 * `node:util` parseArgs in strict mode, with its errors turned into usage
 * errors and the number of positionals checked.
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, positionals: { min: number; max: number; names: string }) {
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
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, '.'));
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

/** A whole number option, or a usage error naming it. */
export function intOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, not "${value}".`);
  return Number(value);
}
