import type { OptionSpecs } from './args';
import type { Context } from './context';

export type { OptionSpec, OptionSpecs } from './args';

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
