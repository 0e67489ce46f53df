import { describe, expect, test } from 'vitest';
import { makeJob } from '../test-fixtures';
import { setLocale } from '../i18n/i18n';
import { formStateOf, type JobFormState } from './job-draft';
import { ApiClientError, type JobDto } from '@jobflow/shared/client';
import { changeShownJob, conflictLabel, conflictRows, conflictValue, paramLabel, paramLeaves, rebaseEdit } from './job-conflict';
import type { Schema } from './schema';

const columns = { age: { type: 'integer', min: 0 }, id: { type: 'string', nonEmpty: true } };
const base = makeJob({ type: 'data-check', version: 3, params: { content: 'a\n1\n', columns }, description: 'old', maxAttempts: 1 });

/** The form opened on `base` with `change` made to it. */
const edited = (change: (state: JobFormState) => void): JobFormState => {
  const state = formStateOf(base);
  change(state);
  return state;
};

describe('an edit that meets a newer version', () => {
  test('lists what each side changed, params leaf by leaf, and nothing both left alone', () => {
    const latest = makeJob({
      ...base,
      version: 4,
      description: 'theirs',
      tags: ['nightly'],
      params: { content: 'a\n1\n', columns: { ...columns, age: { type: 'integer', min: 18 } } },
    });
    const mine = edited((s) => {
      s.draft.description = 'mine';
      s.draft.maxAttempts = '3';
      s.params = { ...s.params, columns: { ...columns, id: { type: 'string', nonEmpty: false } } };
    });
    const rows = conflictRows(base, mine, latest);
    expect(rows.map((r) => [r.key, r.isTheirs, r.isMine])).toEqual([
      ['description', true, true],
      ['tags', true, false],
      ['params/columns/age/min', true, false],
      ['params/columns/id/nonEmpty', false, true],
      ['maxAttempts', false, true],
    ]);
    expect(rows[0]).toMatchObject({ before: 'old', theirs: 'theirs', mine: 'mine' });
    expect(rows[2]).toMatchObject({ before: 0, theirs: 18, mine: 0 });
  });

  test('applied on top, keeps every change of theirs the edit did not touch, leaf by leaf, and the edit’s own', () => {
    const latest = makeJob({
      ...base,
      version: 4,
      description: 'theirs',
      name: 'Renamed',
      params: { content: 'a\n1\n', columns: { ...columns, age: { type: 'integer', min: 18 }, zip: { type: 'string' } } },
    });
    const mine = edited((s) => {
      s.draft.description = 'mine';
      s.params = { content: 'a\n1\n', columns: { age: columns.age, id: { type: 'string', nonEmpty: false, pattern: '^[0-9]+$' } } };
    });
    const merged = rebaseEdit(base, mine, latest);
    expect(merged.draft.name).toBe('Renamed');
    expect(merged.draft.description).toBe('mine');
    expect(merged.params).toEqual({
      content: 'a\n1\n',
      columns: { age: { type: 'integer', min: 18 }, id: { type: 'string', nonEmpty: false, pattern: '^[0-9]+$' }, zip: { type: 'string' } },
    });
    // Nothing left to tell apart but the edit itself.
    expect(conflictRows(latest, merged, latest).map((r) => [r.key, r.isTheirs, r.isMine])).toEqual([
      ['description', false, true],
      ['params/columns/id/nonEmpty', false, true],
      ['params/columns/id/pattern', false, true],
    ]);
  });

  test('a param the edit removed stays removed; the schedule and owner follow whoever changed them', () => {
    const latest = makeJob({ ...base, version: 4, schedule: { cron: '0 3 * * *', timezone: 'UTC' }, ownerId: 'user-2', ownerName: 'Kenji' });
    const mine = edited((s) => {
      const { id: _dropped, ...rest } = columns;
      s.params = { ...s.params, columns: rest };
      s.schedule = { ...s.schedule, overlap: 'skip' };
    });
    const merged = rebaseEdit(base, mine, latest);
    expect(merged.params.columns).toEqual({ age: columns.age });
    expect(merged.schedule).toMatchObject({ isOn: true, cron: '0 3 * * *', timezone: 'UTC', overlap: 'skip' });
    expect(merged.ownerId).toBe('user-2');
  });

  test('a version that changed nothing the form shows gives no rows', () => {
    expect(conflictRows(base, formStateOf(base), makeJob({ ...base, version: 5 }))).toEqual([]);
  });
});

describe('how the conflict view words it', () => {
  const schema: Schema = {
    type: 'object',
    properties: {
      columns: { title: 'Column rules', type: 'object', additionalProperties: { type: 'object', properties: { min: { title: 'Minimum', type: 'number' } } } },
    },
  };

  test('a param is named by the form’s labels, a map entry by its key', () => {
    expect(paramLabel(schema, '/columns/age/min')).toBe('Column rules › age › Minimum');
    expect(conflictLabel('params/columns/age/min', schema)).toBe('Parameters › Column rules › age › Minimum');
    expect(conflictLabel('maxAttempts', schema)).toBe('Max attempts');
  });

  test('values read as words, in the user’s language', () => {
    const name = (id: string) => (id === 'user-2' ? 'Kenji' : id);
    expect(conflictValue('schedule', null, name)).toBe('No schedule');
    expect(conflictValue('schedule', { cron: '0 3 * * *', timezone: 'UTC' }, name)).toBe('0 3 * * * (UTC)');
    expect(conflictValue('owner', 'user-2', name)).toBe('Kenji');
    expect(conflictValue('params/x', true, name)).toBe('Yes');
    expect(conflictValue('params/x', ['a', 'b'], name)).toBe('["a","b"]');
    setLocale('ja');
    expect(conflictValue('timeoutSec', null, name)).toBe('（未設定）');
    expect(conflictLabel('params/columns', schema)).toBe('パラメーター › 列のルール');
    setLocale('en');
  });

  test('an empty map is a leaf of its own, so clearing one is seen', () => {
    expect([...paramLeaves({ a: {}, b: { c: 1 } })]).toEqual([
      ['/a', {}],
      ['/b/c', 1],
    ]);
  });
});

describe('a one-field change of the job on screen (enable, disable, pause, resume)', () => {
  const shown = makeJob({ id: 'job-7', version: 5, enabled: true });
  const stored = makeJob({ id: 'job-7', version: 6, enabled: true, description: 'changed by someone else' });

  test('is sent with the version shown as If-Match, and answers the job changed', async () => {
    const sent: number[] = [];
    const change = await changeShownJob(
      shown,
      async (ifMatch) => {
        sent.push(ifMatch);
        return { ...shown, enabled: false, version: 6 };
      },
      async () => stored,
    );
    expect(sent).toEqual([5]);
    expect(change).toEqual({ outcome: 'changed', job: { ...shown, enabled: false, version: 6 } });
  });

  test('refused as stale (412): answers the job as stored now, and says so in English and Japanese', async () => {
    const stale = new ApiClientError('precondition_failed', 'The job was changed by someone else', 412);
    const reloaded: string[] = [];
    const reload = async (id: string): Promise<JobDto> => {
      reloaded.push(id);
      return stored;
    };
    const refuse = () => Promise.reject(stale);
    setLocale('en');
    const change = await changeShownJob(shown, refuse, reload);
    expect(reloaded).toEqual(['job-7']);
    expect(change).toEqual({
      outcome: 'stale',
      job: stored,
      message:
        'Someone else changed this job meanwhile (it is at version 6 now), so nothing was changed. The page now shows the job as it is: check it, then try again.',
    });
    setLocale('ja');
    expect(await changeShownJob(shown, refuse, reload)).toMatchObject({ outcome: 'stale', message: expect.stringContaining('現在のバージョンは 6') });
    setLocale('en');
  });

  test('any other failure is the caller’s to show', async () => {
    const conflict = new ApiClientError('conflict', 'The job has no schedule.', 409);
    await expect(
      changeShownJob(
        shown,
        () => Promise.reject(conflict),
        async () => stored,
      ),
    ).rejects.toBe(conflict);
  });
});
