import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A path relative to the repository root. */
export const repoPath = (...parts: string[]) => join(root, ...parts);

/**
 * Makes sure a Debian command the test drives is installed. In CI (.ci/run
 * installs it) a missing command fails the test; elsewhere the test is skipped
 * with the package to install.
 */
export function requireCommand(ctx: TestContext, command: string, debianPackage: string): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status === 0) return;
  const message = `${command} is not installed: apt-get install ${debianPackage}`;
  if (process.env.CI) throw new Error(message);
  ctx.skip(message);
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never through a shell) and returns what it printed. */
export function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: opts.cwd ?? root, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
