import type { JobDto, LogLineDto, RunDto } from '@jobflow/shared/client';

/** A run snapshot with sensible defaults, for tests. */
export const makeRun = (patch: Partial<RunDto> = {}): RunDto => ({
  id: 'run-1',
  jobId: 'job-1',
  jobName: 'Nightly export',
  status: 'queued',
  params: {},
  attempt: 1,
  maxAttempts: 1,
  progress: null,
  queuedAt: '2026-11-28T12:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  durationMs: null,
  result: null,
  error: null,
  trigger: { kind: 'manual', userId: 'user-1' },
  logCount: 0,
  version: 1,
  timeoutSec: null,
  paramsChanged: false,
  retryAt: null,
  ...patch,
});

export const makeJob = (patch: Partial<JobDto> = {}): JobDto =>
  ({
    id: 'job-1',
    name: 'Nightly export',
    description: '',
    type: 'sleep',
    params: { seconds: 5 },
    schedule: null,
    timeoutSec: null,
    maxAttempts: 1,
    maxConcurrentRuns: null,
    schedulePolicy: { overlap: 'allow', missed: 'skip' },
    schedulePaused: false,
    notifications: [],
    ownerId: 'user-1',
    ownerName: 'Aiko Tanaka',
    createdAt: '2026-11-28T11:00:00.000Z',
    updatedAt: '2026-11-28T11:00:00.000Z',
    lastRun: null,
    ...patch,
  }) as JobDto;

export const makeLines = (from: number, to: number, stream: LogLineDto['stream'] = 'stdout'): LogLineDto[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, ts: '2026-11-28T12:00:00.000Z', stream, text: `line ${from + i}` }));
