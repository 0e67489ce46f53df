import { render } from 'solid-js/web';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { JobDto, Page, ScheduleFireDto, ScheduleNextDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { jobs, upsertJob } from '../stores/jobs.store';
import { applyStoreEvents } from '../stores/live';
import { makeJob, makeRun } from '../test-fixtures';
import { ScheduleSection } from './schedule-panel';

let dispose: (() => void) | undefined;
afterEach(() => {
  dispose?.();
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

const fire = (id: string, secondsAgo: number, patch: Partial<ScheduleFireDto> = {}): ScheduleFireDto => ({
  id,
  jobId: 'job-sched',
  dueAt: new Date(Date.now() - secondsAgo * 1000).toISOString(),
  outcome: 'started',
  runId: `run-${id}`,
  runStatus: 'succeeded',
  createdAt: new Date().toISOString(),
  ...patch,
});

const nextTimes = (job: JobDto): ScheduleNextDto => ({
  timezone: job.schedule?.timezone ?? null,
  paused: job.schedulePaused,
  items: job.schedulePaused
    ? []
    : Array.from({ length: 30 }, (_, i) => {
        const at = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + i * 60_000).toISOString();
        return { at, local: at.replace('Z', '+00:00') };
      }),
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function mountSection(job: JobDto, stored: ScheduleFireDto[]) {
  upsertJob(job);
  const served = { items: stored };
  const firesSpy = vi
    .spyOn(client.jobs.schedule, 'fires')
    .mockImplementation(async (): Promise<Page<ScheduleFireDto>> => ({ items: [...served.items], nextCursor: null }));
  vi.spyOn(client.jobs.schedule, 'next').mockImplementation(async () => nextTimes(jobs[job.id] as JobDto));
  const root = document.createElement('div');
  document.body.append(root);
  dispose = render(() => <ScheduleSection job={jobs[job.id] as JobDto} canEdit refetch={0} />, root);
  return { root, served, firesSpy };
}

describe('the job page’s schedule', () => {
  test('a run started by the schedule brings its due time into the history at once, with outcome words and a run link', async () => {
    const job = makeJob({ id: 'job-sched', schedule: { cron: '* * * * *', timezone: 'Asia/Tokyo' } });
    const { root, served, firesSpy } = mountSection(job, [fire('f1', 120, { outcome: 'skipped-overlap', runId: null, runStatus: null })]);
    await settle();
    expect(root.querySelectorAll('.next-table tbody tr')).toHaveLength(5);
    expect(root.querySelector('.next-table thead')?.textContent).toContain('Asia/Tokyo');
    const rows = () => [...root.querySelectorAll('.fires-table tbody tr')];
    expect(rows().map((r) => r.getAttribute('data-outcome'))).toEqual(['skipped-overlap']);
    expect(rows()[0]?.textContent).toContain('Skipped: still running');
    expect(rows()[0]?.textContent).toContain('No run');

    served.items = [fire('f2', 1, { runStatus: 'queued' }), ...served.items];
    const calls = firesSpy.mock.calls.length;
    // A run of another job, or a manual one, is not a due time.
    applyStoreEvents([{ type: 'run', run: makeRun({ id: 'run-x', jobId: 'job-sched', trigger: { kind: 'manual', userId: 'u' } }) }]);
    await settle();
    expect(firesSpy.mock.calls.length).toBe(calls);
    applyStoreEvents([
      { type: 'run', run: makeRun({ id: 'run-f2', jobId: 'job-sched', status: 'running', version: 2, trigger: { kind: 'schedule', userId: null } }) },
    ]);
    await settle();
    expect(rows().map((r) => r.getAttribute('data-fire-id'))).toEqual(['f2', 'f1']);
    // The run's status comes from the runs store, so it follows the run live.
    expect(rows()[0]?.querySelector('.status')?.textContent).toContain('Running');
    expect(rows()[0]?.querySelector('a')?.getAttribute('href')).toBe('/runs/run-f2');
    applyStoreEvents([
      { type: 'run', run: makeRun({ id: 'run-f2', jobId: 'job-sched', status: 'succeeded', version: 3, trigger: { kind: 'schedule', userId: null } }) },
    ]);
    await settle();
    expect(rows()[0]?.querySelector('.status')?.textContent).toContain('Succeeded');
    // Its later snapshots do not ask again: the due time is already shown.
    expect(firesSpy.mock.calls.length).toBe(calls + 1);
  });

  test('pause and resume: the owner’s buttons call the API with the version shown, and a paused schedule says so instead of listing due times', async () => {
    const job = makeJob({ id: 'job-sched', schedule: { cron: '0 9 * * *', timezone: 'UTC' }, updatedAt: '2026-11-28T11:00:01.000Z', version: 4 });
    const paused = { ...job, schedulePaused: true, updatedAt: '2026-11-28T11:00:02.000Z', version: 5 };
    const pause = vi.spyOn(client.jobs.schedule, 'pause').mockResolvedValue(paused);
    const { root } = mountSection(job, []);
    await settle();
    expect(root.querySelector('.schedule-state')?.textContent).toContain('Active');
    const button = (text: string) => [...root.querySelectorAll('button')].find((b) => b.textContent?.includes(text)) as HTMLButtonElement | undefined;
    button('Pause schedule')?.click();
    await settle();
    expect(pause).toHaveBeenCalledWith('job-sched', { ifMatch: 4 });
    expect(root.querySelector('.schedule-state')?.textContent).toContain('Paused');
    expect(root.querySelector('.paused-notice')?.textContent).toContain('no runs start');
    expect(root.querySelector('.next-table')).toBeNull();
    expect(button('Resume schedule')).toBeDefined();
    expect(root.querySelector('.fires-table')?.closest('section')?.textContent).toContain('No due time has come yet.');
  });
});
