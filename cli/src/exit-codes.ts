import type { RunStatus } from '@jobflow/shared';

/** What `jobflow` exits with; scripts and CI gate on these. */
export const EXIT = {
  /** Done; with `--follow`, the run succeeded. */
  ok: 0,
  /** With `--follow`, the run failed; otherwise an unexpected error. */
  failed: 1,
  /** The command was called wrongly (unknown option, missing argument). */
  usage: 2,
  /** The server refused the request or could not be reached; stderr names API.md's error code. */
  apiError: 3,
  /** With `--follow`, the run was cancelled; also when following was interrupted (Ctrl-C). */
  cancelled: 130,
} as const;

/** The exit code that reports a final run status. */
export function exitCodeOf(status: RunStatus): number {
  switch (status) {
    case 'succeeded':
      return EXIT.ok;
    case 'failed':
      return EXIT.failed;
    case 'cancelled':
      return EXIT.cancelled;
    case 'queued':
    case 'running':
      throw new Error(`run is not final: ${status}`);
  }
}
