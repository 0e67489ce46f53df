import type { Context } from './context';

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

/** A word after the command (`jobflow tokens create`), with its own options. */
export interface Subcommand {
  name: string;
  /** Other names it answers to (`ls` for `list`). */
  aliases?: readonly string[];
  summary: string;
  options: OptionSpecs;
}

/** One `jobflow <name>` command. */
export interface Command {
  name: string;
  /** One line for `jobflow --help`. */
  summary: string;
  /** The whole `--help` text. */
  usage: string;
  /** Its options besides `--help` and `--json`; a command with subcommands has them per subcommand. */
  options: OptionSpecs;
  subcommands?: readonly Subcommand[];
  /** The words its first argument may be, for completions (`jobflow completion <shell>`). */
  words?: readonly string[];
  /** Runs the command and returns its exit code. */
  run(ctx: Context, argv: string[]): Promise<number>;
}
