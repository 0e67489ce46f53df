import { describe, expect, test } from 'vitest';
import type { NotificationTargetDto } from '@jobflow/shared/client';
import { makeJob } from '../test-fixtures';
import {
  checkSchedule,
  checkTargets,
  generateSecret,
  MIN_SECRET_CHARS,
  newTarget,
  recipients,
  scheduleBody,
  scheduleDraftOf,
  targetBodies,
  targetDraftOf,
  timeZones,
  type TargetDraft,
} from './job-draft';

const stored: NotificationTargetDto[] = [
  { id: 'wh1', kind: 'webhook', on: ['failed'], url: 'https://example.com/hook', secret: '****abcd' },
  { id: 'sl1', kind: 'slack', on: ['succeeded', 'failed'], url: 'https://hooks.slack.com/****wxyz' },
  { id: 'em1', kind: 'email', on: ['cancelled'], to: ['ops@example.com', 'dev@example.com'] },
];

describe('job form drafts', () => {
  test('stored targets go back with their ids and without their masked secrets, so the server keeps them', () => {
    const drafts = stored.map(targetDraftOf);
    expect(targetBodies(drafts)).toEqual([
      { id: 'wh1', kind: 'webhook', on: ['failed'], url: 'https://example.com/hook' },
      { id: 'sl1', kind: 'slack', on: ['succeeded', 'failed'] },
      { id: 'em1', kind: 'email', on: ['cancelled'], to: ['ops@example.com', 'dev@example.com'] },
    ]);
    expect(checkTargets(drafts)).toEqual({});
  });

  test('a replaced secret is sent; a new target needs its secret or URL', () => {
    const [webhook, slack] = stored.map(targetDraftOf) as [TargetDraft, TargetDraft];
    const replaced = { ...webhook, isReplacing: true, secret: 'a-brand-new-secret-value' } as TargetDraft;
    const newSlack = { ...slack, isReplacing: true, url: 'https://hooks.slack.com/services/T/B/new' } as TargetDraft;
    expect(targetBodies([replaced, newSlack])).toEqual([
      { id: 'wh1', kind: 'webhook', on: ['failed'], url: 'https://example.com/hook', secret: 'a-brand-new-secret-value' },
      { id: 'sl1', kind: 'slack', on: ['succeeded', 'failed'], url: 'https://hooks.slack.com/services/T/B/new' },
    ]);

    const fresh = [newTarget('webhook'), newTarget('slack'), newTarget('email')];
    expect(fresh.map((d) => d.on)).toEqual([['failed'], ['failed'], ['failed']]);
    const errors = checkTargets(fresh);
    expect(errors['/notifications/0/url']).toEqual(['Enter an http:// or https:// URL.']);
    expect(errors['/notifications/0/secret']).toEqual([`Use at least ${MIN_SECRET_CHARS} characters.`]);
    expect(errors['/notifications/1/url']).toEqual(['Enter an http:// or https:// URL.']);
    expect(errors['/notifications/2/to']).toEqual(['Required.']);
  });

  test('recipients split on commas and new lines; each bad address and an empty event list is named', () => {
    expect(recipients(' a@example.com,b@example.com\n\nc@example.com ; ')).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    const email = { ...newTarget('email'), to: 'ok@example.com, not-an-address', on: [] } as TargetDraft;
    const errors = checkTargets([email]);
    expect(errors['/notifications/0/to']).toEqual(['“not-an-address” is not a valid email address.']);
    expect(errors['/notifications/0/on']).toEqual(['Choose at least one.']);
  });

  test('a generated secret is long enough and different each time', () => {
    const a = generateSecret();
    expect(a.length).toBeGreaterThanOrEqual(MIN_SECRET_CHARS);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(generateSecret()).not.toBe(a);
  });

  test('the schedule: off sends null, on sends cron, zone, policies and paused; queue needs one run at a time', () => {
    const job = makeJob({
      schedule: { cron: '0 9 * * 1-5', timezone: 'Asia/Tokyo' },
      schedulePolicy: { overlap: 'skip', missed: 'run-once' },
      schedulePaused: true,
    });
    const draft = scheduleDraftOf(job);
    expect(draft).toEqual({ isOn: true, cron: '0 9 * * 1-5', timezone: 'Asia/Tokyo', overlap: 'skip', missed: 'run-once', isPaused: true });
    expect(scheduleBody({ ...draft, cron: ' 0  9 * * 1-5 ' })).toEqual({
      schedule: { cron: '0 9 * * 1-5', timezone: 'Asia/Tokyo' },
      schedulePolicy: { overlap: 'skip', missed: 'run-once' },
      schedulePaused: true,
    });
    expect(scheduleBody({ ...draft, isOn: false })).toMatchObject({ schedule: null, schedulePaused: false });
    expect(scheduleBody({ ...draft, isOn: false, overlap: 'queue' }).schedulePolicy).toEqual({ overlap: 'allow', missed: 'run-once' });
    expect(scheduleBody({ ...draft, overlap: 'queue' }).schedulePolicy).toEqual({ overlap: 'queue', missed: 'run-once' });
    expect(checkSchedule({ ...draft, cron: '' }, null)).toEqual({ '/schedule/cron': ['Required.'] });
    expect(Object.keys(checkSchedule({ ...draft, overlap: 'queue' }, 3))).toEqual(['/maxConcurrentRuns']);
    expect(checkSchedule({ ...draft, overlap: 'queue' }, 1)).toEqual({});
    expect(checkSchedule({ ...draft, isOn: false, cron: '' }, 3)).toEqual({});
    // A new job starts in the browser's zone.
    expect(scheduleDraftOf(null)).toMatchObject({ isOn: false, overlap: 'allow', missed: 'skip', isPaused: false });
  });

  test('the time-zone list holds every IANA zone the browser knows, UTC included', () => {
    const zones = timeZones();
    expect(zones).toContain('Asia/Tokyo');
    expect(zones).toContain('America/New_York');
    expect(zones).toContain('UTC');
    expect(zones.length).toBeGreaterThan(300);
  });
});
