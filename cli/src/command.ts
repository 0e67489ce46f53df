import type { Context } from './context';

/** One `jobflow <name>` command. */
export interface Command {
  name: string;
  /** One line for `jobflow --help`. */
  summary: string;
  /** The whole `--help` text. */
  usage: string;
  /** Runs the command and returns its exit code. */
  run(ctx: Context, argv: string[]): Promise<number>;
}
