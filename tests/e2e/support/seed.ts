import type { Stack } from '../../support/stack';
import { until } from '../../support/processes';

/** Creates a job over the API as `token`'s user; returns its id. */
export async function createJob(stack: Stack, token: string, body: Record<string, unknown>): Promise<string> {
  const res = await stack.request('POST', '/api/jobs', { token, body });
  if (res.status !== 201) throw new Error(`create job failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Starts a run of a job over the API; returns its id. */
export async function startRun(stack: Stack, token: string, jobId: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await stack.request('POST', `/api/jobs/${jobId}/runs`, { token, body });
  if (res.status !== 201) throw new Error(`start run failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Waits until the stored run has one of `statuses`; returns it. */
export async function waitForRun(stack: Stack, runId: string, statuses: string[]): Promise<any> {
  let run: any = null;
  await until(
    async () => {
      run = (await stack.request('GET', `/api/runs/${runId}`, { token: stack.admin.token })).body;
      return statuses.includes(run.status);
    },
    `run ${runId} to be ${statuses.join(' or ')}`,
    60_000,
  );
  return run;
}
