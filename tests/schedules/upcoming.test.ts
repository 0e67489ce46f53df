import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, UpcomingDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
});
afterAll(() => stack?.stop());

const upcoming = (query = '') => stack.request<UpcomingDto>('GET', `/api/schedules/upcoming${query}`, { token: stack.admin.token });

describe('GET /api/schedules/upcoming', () => {
  it('merges the next due times of every active schedule, soonest first, in each job’s zone', async () => {
    // Once a year, at midnight UTC on January 1st; every day at noon in Tokyo (03:00 UTC).
    const yearly = await stack.createJob({ name: 'new year', type: 'sleep', params: { seconds: 0 }, schedule: { cron: '0 0 1 1 *', timezone: 'UTC' } });
    const daily = await stack.createJob({
      name: 'tokyo noon',
      type: 'sleep',
      params: { seconds: 0 },
      schedule: { cron: '0 12 * * *', timezone: 'Asia/Tokyo' },
    });
    const paused = await stack.createJob({ name: 'paused', type: 'sleep', params: { seconds: 0 }, schedule: { cron: '* * * * *', timezone: 'UTC' } });
    expect((await stack.request('POST', `/api/jobs/${paused.id}/schedule/pause`, { token: stack.admin.token, body: {} })).status).toBe(200);
    await stack.createJob({ name: 'unscheduled', type: 'sleep', params: { seconds: 0 } });

    const res = await upcoming('?limit=100');
    expect(res.status).toBe(200);
    const { items } = res.body;
    expect(items).toHaveLength(100);
    const times = items.map((i) => Date.parse(i.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(items.map((i) => i.jobId))).toEqual(new Set([yearly.id, daily.id]));

    const newYear = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 1)).toISOString();
    expect(items.filter((i) => i.jobId === yearly.id)).toEqual([
      { jobId: yearly.id, jobName: 'new year', at: newYear, local: newYear.replace('.000Z', '+00:00'), timezone: 'UTC', cron: '0 0 1 1 *' },
    ]);
    for (const item of items.filter((i) => i.jobId === daily.id)) {
      expect(item.at).toMatch(/T03:00:00\.000Z$/);
      expect(item.local).toMatch(/T12:00:00\+09:00$/);
    }
    // The days in between, each once: the daily job fills every place but the yearly one's.
    expect(new Set(items.filter((i) => i.jobId === daily.id).map((i) => i.at)).size).toBe(99);

    const first = await upcoming('?limit=2');
    expect(first.body.items).toEqual(items.slice(0, 2));
  });

  it('leaves out a disabled job, which never fires, and takes it back in once enabled again', async () => {
    const hourly = await stack.createJob({ name: 'hourly', type: 'sleep', params: { seconds: 0 }, schedule: { cron: '0 * * * *', timezone: 'UTC' } });
    const minutely = await stack.createJob({ name: 'minutely', type: 'sleep', params: { seconds: 0 }, schedule: { cron: '* * * * *', timezone: 'UTC' } });
    const setEnabled = async (enabled: boolean) => {
      const res = await stack.request<JobDto>('PATCH', `/api/jobs/${minutely.id}`, { token: stack.admin.token, body: { enabled } });
      expect(res.status).toBe(200);
      expect(res.body.enabled).toBe(enabled);
    };
    const jobIds = async () => new Set((await upcoming('?limit=100')).body.items.map((i) => i.jobId));

    expect(await jobIds()).toContain(minutely.id);
    await setEnabled(false);
    const withoutIt = await jobIds();
    expect(withoutIt).not.toContain(minutely.id);
    expect(withoutIt).toContain(hourly.id);
    await setEnabled(true);
    expect(await jobIds()).toContain(minutely.id);
  });

  it('refuses a limit out of range', async () => {
    for (const limit of ['0', '101', 'many']) {
      const res = await upcoming(`?limit=${limit}`);
      expect(res.status).toBe(400);
      expect(errorOf(res).code).toBe('bad_request');
    }
  });
});
