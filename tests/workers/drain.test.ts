import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryDto, Page, RunAttemptDto, WorkerDto } from '@jobflow/shared';
import { subscribe } from '../support/live';
import { spawnWorker, type Proc } from '../support/processes';
import { runToEnd } from '../support/runs';
import { errorOf, startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: Stack;
const procs: Proc[] = [];
const seen: WorkerDto[] = [];
let quickJob = '';
let slowJob = '';

const listWorkers = async () => (await stack.request<{ items: WorkerDto[] }>('GET', '/api/workers', { token: stack.admin.token })).body.items;
const workerNamed = async (id: string) => (await listWorkers()).find((w) => w.id === id);
const post = (path: string, token = stack.admin.token) => stack.request<WorkerDto>('POST', path, { token, body: {} });
const attemptsOf = async (runId: string) =>
  (await stack.request<{ items: RunAttemptDto[] }>('GET', `/api/runs/${runId}/attempts`, { token: stack.admin.token })).body.items;
/** Lines a worker process logged that say it obeyed a drain or a resume. */
const obeyed = (proc: Proc, what: 'draining' | 'taking runs again') =>
  proc
    .output()
    .split('\n')
    .filter((line) => line.includes(what)).length;

const startWorker = async (id: string) => {
  const proc = await spawnWorker({ ...stack.env, WORKER_NAME: `name of ${id}`, WORKER_CONCURRENCY: '2' }, id);
  procs.push(proc);
  return proc;
};

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  const socket = stack.connect(stack.admin.token);
  socket.on('worker:updated', (worker) => seen.push(worker));
  expect(await subscribe(socket, { topic: 'dashboard' })).toEqual({ ok: true });
  quickJob = (await stack.createJob({ type: 'sleep', params: { seconds: 0 } })).id;
  slowJob = (await stack.createJob({ type: 'sleep', params: { seconds: 2 } })).id;
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await stack?.stop();
});

describe('draining and resuming worker processes', () => {
  it('a draining worker finishes the run it holds and takes no new one while another worker does; resumed, it takes runs again', async () => {
    const a = await startWorker('drain-a');
    const b = await startWorker('drain-b');
    const both = await waitFor(async () => {
      const list = await listWorkers();
      return list.filter((w) => w.id.startsWith('drain-') && w.state === 'active').length === 2 && list;
    }, 'both workers registered');
    expect(both.find((w) => w.id === 'drain-a')).toMatchObject({
      name: 'name of drain-a',
      pid: a.child.pid,
      version: '0.1.0',
      concurrency: 2,
      state: 'active',
      isDraining: false,
      stoppedAt: null,
      runs: [],
    });

    // One run held by one of them: that worker is drained while it runs.
    const slow = await stack.startRun(slowJob);
    const holderId = await waitFor(async () => (await listWorkers()).find((w) => w.runs.some((r) => r.id === slow.id))?.id, 'the slow run to be held');
    const [holder, other] = holderId === 'drain-a' ? [a, b] : [b, a];
    const otherId = holderId === 'drain-a' ? 'drain-b' : 'drain-a';
    const drained = await post(`/api/workers/${holderId}/drain`);
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ id: holderId, state: 'draining', isDraining: true });
    expect(drained.body.runs.map((r) => r.id)).toEqual([slow.id]);
    await waitFor(() => obeyed(holder, 'draining') === 1, 'the holder to obey the drain');
    await waitFor(() => seen.some((w) => w.id === holderId && w.state === 'draining'), 'worker:updated saying it drains');

    // New runs while it drains all go to the other worker.
    const quick = await Promise.all([1, 2, 3, 4].map(async () => (await runToEnd(stack, quickJob)).final));
    for (const run of quick) {
      expect(run.status).toBe('succeeded');
      expect((await attemptsOf(run.id)).map((x) => [x.workerId, x.workerName])).toEqual([[otherId, `name of ${otherId}`]]);
    }
    // ...and the run it held finishes there, not aborted.
    const slowDone = await waitFor(async () => {
      const run = await stack.getRun(slow.id);
      return run.finishedAt && run;
    }, 'the held run to finish');
    expect(slowDone.status).toBe('succeeded');
    expect((await attemptsOf(slow.id)).map((x) => x.workerId)).toEqual([holderId]);

    // Resumed, and the other drained: runs go to the first again.
    const resumed = await post(`/api/workers/${holderId}/resume`);
    expect(resumed.body).toMatchObject({ state: 'active', isDraining: false });
    await waitFor(() => obeyed(holder, 'taking runs again') === 1, 'the holder to obey the resume');
    await post(`/api/workers/${otherId}/drain`);
    await waitFor(() => obeyed(other, 'draining') === 1, 'the other worker to obey the drain');
    const after = await Promise.all([1, 2, 3].map(async () => (await runToEnd(stack, quickJob)).final));
    for (const run of after) expect((await attemptsOf(run.id)).map((x) => x.workerId)).toEqual([holderId]);

    // Both facts are in the audit log, with who asked.
    const audit = await stack.request<Page<AuditEntryDto>>('GET', `/api/audit?targetType=worker&targetId=${holderId}`, { token: stack.admin.token });
    expect(audit.body.items.map((e) => [e.action, e.actor.userId])).toEqual([
      ['worker.resumed', stack.admin.id],
      ['worker.drained', stack.admin.id],
    ]);
    // Asking again changes nothing and records nothing.
    expect((await post(`/api/workers/${otherId}/drain`)).body.state).toBe('draining');
    const again = await stack.request<Page<AuditEntryDto>>('GET', `/api/audit?targetType=worker&targetId=${otherId}`, { token: stack.admin.token });
    expect(again.body.items.map((e) => e.action)).toEqual(['worker.drained']);
  });

  it('a drain is stored: a worker restarted with the same id keeps draining until resumed', async () => {
    // drain-b or drain-a: whichever the first test left draining.
    const draining = (await listWorkers()).find((w) => w.id.startsWith('drain-') && w.state === 'draining')!;
    const activeId = draining.id === 'drain-a' ? 'drain-b' : 'drain-a';
    await post(`/api/workers/${activeId}/drain`);
    const old = procs.find((p) => p.output().includes(`"workerId":"${draining.id}"`))!;
    expect(await old.stop()).toBe(0);
    await waitFor(() => seen.some((w) => w.id === draining.id && w.stoppedAt !== null), 'worker:updated saying it stopped');
    expect(await workerNamed(draining.id)).toBeUndefined();

    const restarted = await startWorker(draining.id);
    await waitFor(() => obeyed(restarted, 'draining') === 1, 'the restarted worker to drain at once');
    expect(await workerNamed(draining.id)).toMatchObject({ state: 'draining', pid: restarted.child.pid });
    const waiting = await stack.startRun(quickJob);
    // Both workers drain: the run waits (a bound, not a measurement: any take would show within it).
    await new Promise((r) => setTimeout(r, 1500));
    expect((await stack.getRun(waiting.id)).status).toBe('queued');

    await post(`/api/workers/${draining.id}/resume`);
    const done = await waitFor(async () => {
      const run = await stack.getRun(waiting.id);
      return run.finishedAt && run;
    }, 'the waiting run to be taken after the resume');
    expect(done.status).toBe('succeeded');
    expect((await attemptsOf(waiting.id)).map((x) => x.workerId)).toEqual([draining.id]);
  });

  it('a worker that stops beating is lost, and announced so', async () => {
    // The worker restarted above, killed outright as when its machine dies.
    const victim = procs[procs.length - 1]!;
    const id = (await listWorkers()).find((w) => w.pid === victim.child.pid)!.id;
    expect(await workerNamed(id)).toMatchObject({ state: 'active' });
    await victim.kill();
    const lost = await waitFor(() => seen.find((w) => w.id === id && w.state === 'lost'), 'worker:updated saying it is lost');
    expect(lost.stoppedAt).toBeNull();
    expect(await workerNamed(id)).toMatchObject({ state: 'lost' });
  });

  it('refuses unknown workers and non-admins', async () => {
    for (const id of ['no-such-worker', 'bad%20id', 'x'.repeat(300)]) {
      const res = await post(`/api/workers/${id}/drain`);
      expect(res.status).toBe(404);
      expect(errorOf(res).code).toBe('not_found');
    }
    const user = await stack.createUser();
    const listed = await stack.request<{ items: WorkerDto[] }>('GET', '/api/workers', { token: user.token });
    expect(listed.status).toBe(200);
    const refused = await post(`/api/workers/${listed.body.items[0]!.id}/drain`, user.token);
    expect(refused.status).toBe(403);
    expect(errorOf(refused).code).toBe('forbidden');
  });
});
