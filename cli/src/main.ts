import { version } from '../package.json';
import { UsageError } from './args';
import { loadClientLibrary } from './client-library';
import type { Command } from './command';
import { artifactsCommand } from './commands/artifacts.command';
import { cancelCommand } from './commands/cancel.command';
import { completionCommand } from './commands/completion.command';
import { jobCommand } from './commands/job.command';
import { jobsCommand } from './commands/jobs.command';
import { loginCommand } from './commands/login.command';
import { logoutCommand } from './commands/logout.command';
import { exportCommand } from './commands/export.command';
import { logsCommand } from './commands/logs.command';
import { rerunCommand, runCommand } from './commands/run.command';
import { tokensCommand } from './commands/tokens.command';
import { typesCommand } from './commands/types.command';
import { watchCommand } from './commands/watch.command';
import { whoamiCommand } from './commands/whoami.command';
import { ConfigFileError, readEnv, type CliEnv } from './config';
import { createContext } from './context';
import { EXIT } from './exit-codes';
import { createOutput, type Output } from './output';
import { didYouMean } from './suggest';

export const VERSION = version;

export const COMMANDS: readonly Command[] = [
  loginCommand,
  logoutCommand,
  whoamiCommand,
  jobsCommand,
  jobCommand,
  typesCommand,
  runCommand,
  logsCommand,
  artifactsCommand,
  exportCommand,
  cancelCommand,
  rerunCommand,
  watchCommand,
  tokensCommand,
  completionCommand(() => COMMANDS),
];

const generalUsage = () => `Usage: jobflow <command> [options]

Runs, follows and watches Jobflow jobs from a shell, a CI pipeline or a script.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}  ${c.summary}`).join('\n')}

Run "jobflow <command> --help" for a command's options. Every command takes --json.

Options:
  --no-color      never colour the output (it is plain anyway when piped)
  -V, --version   print the version
  -h, --help      show this help

Configuration:
  JOBFLOW_URL     the server (default: the one "jobflow login" stored, or http://127.0.0.1:3000)
  JOBFLOW_TOKEN   a personal API token; overrides the stored one
  JOBFLOW_RETRY_SEC
                  how long to keep trying a read or a run's start while the server
                  restarts (refused connections, 502, 503, 504); default 60, 0: never
  NO_COLOR        set to turn colours off, as --no-color does
  "jobflow login" stores {url, token} in $XDG_CONFIG_HOME/jobflow/config.json
  (~/.config/jobflow/config.json), readable by you only.

Exit status:
  0    done; with --follow, the run succeeded
  1    with --follow, the run failed
  2    the command was called wrongly
  3    the server refused the request or could not be reached (stderr names the error code)
  130  with --follow, the run was cancelled, or following was interrupted
`;

const isHelpFlag = (arg: string) => arg === '--help' || arg === '-h';
/** `--help` anywhere before a `--` asks for help. */
const asksForHelp = (argv: string[]) => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some(isHelpFlag);
};

/** Takes the global options (`--no-color`) out of the arguments before any `--`, and applies them to the environment. */
export function takeGlobalOptions(argv: string[], env: CliEnv): { argv: string[]; env: CliEnv } {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const before = argv.slice(0, end);
  return {
    argv: [...before.filter((arg) => arg !== '--no-color'), ...argv.slice(end)],
    env: before.includes('--no-color') ? { ...env, isNoColor: true } : env,
  };
}

/** Runs `jobflow` with the given arguments and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { argv, env } = takeGlobalOptions(args, readEnv());
  const o = createOutput(process.stdout, process.stderr, env);
  // A reader that went away (`jobflow watch | head`) is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT.ok);
      throw error;
    });
  }

  const [name, ...rest] = argv;
  if (name === undefined || isHelpFlag(name) || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (name === undefined) {
      o.err.write(generalUsage());
      return EXIT.usage;
    }
    if (name === 'help' && rest[0] !== undefined && !topic) return unknownCommand(o, rest[0]);
    o.out.write(topic ? topic.usage : generalUsage());
    return EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    o.out.write(`jobflow ${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) return unknownCommand(o, name);
  if (asksForHelp(rest)) {
    o.out.write(command.usage);
    return EXIT.ok;
  }

  const isJson = rest.includes('--json');
  const { ctx, dispose } = createContext({ env, o, isJson, stdin: () => process.stdin });
  try {
    return await command.run(ctx, rest);
  } catch (error) {
    const url = await ctx.connection().then(
      (c) => c.url,
      () => null,
    );
    return await reportError(o, command, error, isJson, url);
  } finally {
    dispose();
    // Whatever a library may still hold open, a finished command ends.
    setTimeout(() => process.exit(), 2_000).unref();
  }
}

/** A word `jobflow` does not know, with the closest command or option it does. */
function unknownCommand(o: Output, name: string): number {
  const isOption = name.startsWith('-');
  const known = isOption ? ['--help', '--version', '--no-color'] : COMMANDS.map((c) => c.name);
  const suggestion = didYouMean(name, known, isOption ? (s) => s : undefined);
  o.err.write(`jobflow: unknown ${isOption ? 'option' : 'command'} "${name}".${suggestion}\nRun "jobflow --help" for the list of commands.\n`);
  return EXIT.usage;
}

async function reportError(o: Output, command: Command, error: unknown, isJson: boolean, url: string | null): Promise<number> {
  const { ec } = o;
  if (error instanceof UsageError) {
    o.err.write(`jobflow ${command.name}: ${error.message}\nRun "jobflow ${command.name} --help" for its options.\n`);
    return EXIT.usage;
  }
  if (error instanceof ConfigFileError) {
    o.err.write(`${ec.red('jobflow: error:')} ${error.message}\n`);
    return EXIT.failed;
  }
  const { ApiClientError } = await loadClientLibrary();
  if (error instanceof ApiClientError) {
    if (isJson) {
      const details = error.details.length > 0 ? { details: error.details } : {};
      o.err.write(JSON.stringify({ error: { code: error.code, message: error.message, ...details }, status: error.status }) + '\n');
      return EXIT.apiError;
    }
    o.err.write(`${ec.red('jobflow: error:')} ${ec.bold(error.code)}: ${error.message}\n`);
    for (const detail of error.details) o.err.write(`  ${detail.path || '/'}: ${detail.message}\n`);
    if (error.code === 'unauthorized' && error.status === 401) {
      o.err.write('  Sign in with "jobflow login", or set JOBFLOW_TOKEN to a valid API token.\n');
    }
    if (error.code === 'network_error') o.err.write(`  Is Jobflow running at ${url ?? 'the configured address'}? Set JOBFLOW_URL, or run "jobflow login".\n`);
    if (error.code === 'rate_limited' && error.retryAfterSec !== null) o.err.write(`  Try again in ${error.retryAfterSec} s.\n`);
    return EXIT.apiError;
  }
  o.err.write(`${ec.red('jobflow: unexpected error:')} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.failed;
}
