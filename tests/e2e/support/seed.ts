import type { RunDto, StartRunBody } from '@jobflow/shared';
import type { NewJob, Stack } from '../../support/stack';
import { waitFor } from '../../support/wait';

/** Creates a job over the API as `token`'s user; returns its id. */
export const createJob = async (stack: Stack, token: string, job: NewJob): Promise<string> => (await stack.createJob(job, token)).id;

/** Starts a run of a job over the API; returns its id. */
export const startRun = async (stack: Stack, token: string, jobId: string, body: StartRunBody = {}): Promise<string> =>
  (await stack.startRun(jobId, body, token)).id;

/** Waits until the stored run has one of `statuses`; returns it. */
export function waitForRun(stack: Stack, runId: string, statuses: string[]): Promise<RunDto> {
  return waitFor(
    async () => {
      const run = await stack.getRun(runId);
      return statuses.includes(run.status) && run;
    },
    `run ${runId} to be ${statuses.join(' or ')}`,
    { timeoutMs: 60_000, everyMs: 50 },
  );
}
