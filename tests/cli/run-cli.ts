import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `jobflow` bin as npm installed it for the workspace. */
export const JOBFLOW_BIN = fileURLToPath(new URL('../../node_modules/.bin/jobflow', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The whole environment of the command besides PATH (nothing else is inherited). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed. */
  input?: string;
}

const running = new Set<ChildProcess>();

/** A running `jobflow` process whose stdout can be read line by line as it comes. */
export interface CliProcess {
  child: ChildProcess;
  /** Resolves with the first stdout line `match` accepts, looking at lines already read too. */
  stdoutLine(match: (line: string) => boolean, what: string): Promise<string>;
  /** Resolves once stderr contains `text`. */
  stderrText(text: string): Promise<void>;
  /** Every stdout line so far. */
  readonly lines: string[];
  readonly result: Promise<CliResult>;
}

const WAIT_MS = 30_000;

export function startJobflow(args: string[], options: CliOptions = {}): CliProcess {
  const child = spawn(JOBFLOW_BIN, args, {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const lines: string[] = [];
  let partial = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    wake();
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  const result = new Promise<CliResult>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      wake();
      resolve({ code, signal, stdout, stderr });
    }),
  );
  const until = <T>(check: () => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(attempt);
        reject(new Error(`timed out waiting for ${what}; stdout so far:\n${stdout}\nstderr so far:\n${stderr}`));
      }, WAIT_MS);
      const attempt = () => {
        const value = check();
        if (value !== undefined) {
          clearTimeout(timer);
          waiters.delete(attempt);
          resolve(value);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          waiters.delete(attempt);
          reject(new Error(`jobflow exited before ${what}; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      };
      waiters.add(attempt);
      attempt();
    });
  return {
    child,
    lines,
    result,
    stdoutLine: (match, what) => until(() => lines.find(match), what),
    stderrText: (text) => until(() => (stderr.includes(text) ? true : undefined), `"${text}" on stderr`).then(() => undefined),
  };
}

/** Runs `jobflow` to the end. */
export const jobflow = (args: string[], options: CliOptions = {}): Promise<CliResult> => startJobflow(args, options).result;

/** Kills whatever `jobflow` processes a test left running (for afterAll). */
export async function killJobflowProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
