// A script written against the REST types openapi-typescript generates from
// /api/openapi.json (`./api.d.ts`, made by the test): what the examples do
// (start a run of a job, read its log, watch for failed runs), type-checked.
import type { components, paths } from './api';

type Json<P extends keyof paths, M extends 'get' | 'post' | 'patch', S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

type Me = Json<'/api/auth/me', 'get', 200>;
type JobTypes = Json<'/api/job-types', 'get', 200>;
type StartedRun = Json<'/api/jobs/{id}/runs', 'post', 201>;
type LogPage = Json<'/api/runs/{id}/logs', 'get', 200>;
type RunPage = Json<'/api/runs', 'get', 200>;
type StartRun = paths['/api/jobs/{id}/runs']['post'];

declare function call<T>(method: string, path: string, init?: { body?: unknown; headers?: Record<string, string> }): Promise<T>;

export async function followRun(jobId: string): Promise<number> {
  const me = await call<Me>('GET', '/api/auth/me');
  const email: string = me.user.email;
  const types = await call<JobTypes>('GET', '/api/job-types');
  const adminOnly: boolean[] = types.items.map((t) => t.adminOnly);
  const headers: NonNullable<StartRun['parameters']['header']> = { 'Idempotency-Key': `start-${jobId}` };
  const body: components['schemas']['StartRunRequest'] = { params: { seconds: 1 } };
  const run = await call<StartedRun>('POST', `/api/jobs/${jobId}/runs`, { body, headers });
  const status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' = run.status;
  const startedBy: string | null = run.trigger.userId;
  let after = 0;
  const page = await call<LogPage>('GET', `/api/runs/${run.id}/logs?after=${after}`);
  for (const line of page.items) {
    const text: string = line.text;
    after = line.seq;
    void text;
  }
  const failed = await call<RunPage>('GET', '/api/runs?status=failed');
  const next: string | null = failed.nextCursor;
  // The contract's `Run` is one component, referenced everywhere it appears.
  const same: components['schemas']['Run'] = run;
  // @ts-expect-error a run's status is one of five words, not any string
  const wrong: StartedRun['status'] = 'sleeping';
  void [email, adminOnly, status, startedBy, next, same, wrong];
  return after;
}
