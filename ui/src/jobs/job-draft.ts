import {
  DEFAULT_SCHEDULE_POLICY,
  type JobDto,
  type NotificationEvent,
  type NotificationTargetBody,
  type NotificationTargetDto,
  type ScheduleDto,
  type SchedulePolicyDto,
} from '@jobflow/shared/client';
import { scheduleProblems } from '@jobflow/shared/schedule-rules';
import { localizeValidation } from '../app/errors';
import { t } from '../i18n/i18n';
import type { FieldErrors } from './params-form';
import { cloneJson } from './schema';

/** The job's own fields in the form, as typed. */
export interface BaseDraft {
  name: string;
  description: string;
  /** Tags as typed: separated by commas or spaces. */
  tags: string;
  timeoutSec: string;
  maxAttempts: string;
  maxConcurrentRuns: string;
  keepRuns: string;
  keepDays: string;
}

export const BASE_DRAFT_KEYS = ['name', 'description', 'tags', 'timeoutSec', 'maxAttempts', 'maxConcurrentRuns', 'keepRuns', 'keepDays'] as const;

/** The schedule part of the job form, as typed. */
export interface ScheduleDraft {
  isOn: boolean;
  cron: string;
  timezone: string;
  overlap: SchedulePolicyDto['overlap'];
  missed: SchedulePolicyDto['missed'];
  isPaused: boolean;
}

interface TargetBase {
  /** Stable key of the row in the form. */
  key: number;
  /** The stored target's id; absent for a new one. */
  id?: string;
  on: NotificationEvent[];
}

/**
 * A notification target as edited. Stored secrets are never known here: the
 * form shows their masks and sends nothing for them unless the user replaces
 * them (`isReplacing`), so the server keeps what it has.
 */
export type TargetDraft =
  | (TargetBase & { kind: 'webhook'; url: string; storedSecret: string | null; secret: string; isReplacing: boolean })
  | (TargetBase & { kind: 'slack'; storedUrl: string | null; url: string; isReplacing: boolean })
  | (TargetBase & { kind: 'email'; to: string });

export type TargetKind = TargetDraft['kind'];

export const MIN_SECRET_CHARS = 16;
export const MAX_TARGETS = 20;
export const MAX_RECIPIENTS = 20;

let keys = 0;
const nextKey = () => ++keys;

/** The browser's own time zone. */
export const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

let zones: readonly string[] | null = null;
/** Every IANA time zone the browser knows, for the searchable list. */
export function timeZones(): readonly string[] {
  if (!zones) {
    const supported = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    zones = [...new Set(['UTC', ...supported, localZone()])].sort();
  }
  return zones;
}

/** Everything the job form edits, as typed. */
export interface JobFormState {
  draft: BaseDraft;
  params: Record<string, unknown>;
  schedule: ScheduleDraft;
  targets: TargetDraft[];
  ownerId: string;
}

/** The tags in the tags field, lowercased, separated by commas or white space, repeats dropped. */
export const tagsOf = (text: string): string[] => [
  ...new Set(
    text
      .toLowerCase()
      .split(/[\s,]+/)
      .filter(Boolean),
  ),
];

/** A whole-number field: its number, null when empty, `'bad'` when it is not a whole number. */
export const intOrNull = (text: string): number | null | 'bad' => {
  if (text.trim() === '') return null;
  const n = Number(text);
  return Number.isInteger(n) ? n : 'bad';
};

/** The form as it opens for `job` (a new job: empty, with the defaults). */
export function formStateOf(job: JobDto | null): JobFormState {
  return {
    draft: {
      name: job?.name ?? '',
      description: job?.description ?? '',
      tags: (job?.tags ?? []).join(', '),
      timeoutSec: job?.timeoutSec != null ? String(job.timeoutSec) : '',
      maxAttempts: String(job?.maxAttempts ?? 1),
      maxConcurrentRuns: job?.maxConcurrentRuns != null ? String(job.maxConcurrentRuns) : '',
      keepRuns: job?.keepRuns != null ? String(job.keepRuns) : '',
      keepDays: job?.keepDays != null ? String(job.keepDays) : '',
    },
    params: job ? cloneJson(job.params) : {},
    schedule: scheduleDraftOf(job),
    targets: (job?.notifications ?? []).map(targetDraftOf),
    ownerId: job?.ownerId ?? '',
  };
}

export function scheduleDraftOf(job: JobDto | null): ScheduleDraft {
  return {
    isOn: job?.schedule != null,
    cron: job?.schedule?.cron ?? '',
    timezone: job?.schedule?.timezone ?? localZone(),
    overlap: job?.schedulePolicy?.overlap ?? DEFAULT_SCHEDULE_POLICY.overlap,
    missed: job?.schedulePolicy?.missed ?? DEFAULT_SCHEDULE_POLICY.missed,
    isPaused: job?.schedulePaused ?? false,
  };
}

export function targetDraftOf(target: NotificationTargetDto): TargetDraft {
  const base = { key: nextKey(), id: target.id, on: [...target.on] };
  switch (target.kind) {
    case 'webhook':
      return { ...base, kind: 'webhook', url: target.url, storedSecret: target.secret, secret: '', isReplacing: false };
    case 'slack':
      return { ...base, kind: 'slack', storedUrl: target.url, url: '', isReplacing: false };
    case 'email':
      return { ...base, kind: 'email', to: target.to.join(', ') };
  }
}

/** A new target of `kind`, sent on failures until the user says otherwise. */
export function newTarget(kind: TargetKind): TargetDraft {
  const base = { key: nextKey(), on: ['failed'] as NotificationEvent[] };
  switch (kind) {
    case 'webhook':
      return { ...base, kind, url: '', storedSecret: null, secret: '', isReplacing: true };
    case 'slack':
      return { ...base, kind, storedUrl: null, url: '', isReplacing: true };
    case 'email':
      return { ...base, kind, to: '' };
  }
}

/** The addresses in a recipients field: separated by commas, semicolons, spaces or new lines. */
export const recipients = (text: string): string[] => text.split(/[\s,;]+/).filter(Boolean);

export function scheduleBody(d: ScheduleDraft): { schedule: ScheduleDto | null; schedulePolicy: SchedulePolicyDto; schedulePaused: boolean } {
  return {
    schedule: d.isOn ? { cron: d.cron.trim().replace(/\s+/g, ' '), timezone: d.timezone.trim() } : null,
    // `queue` asks for one run at a time, which means nothing without a schedule and would refuse a higher limit.
    schedulePolicy: { overlap: !d.isOn && d.overlap === 'queue' ? 'allow' : d.overlap, missed: d.missed },
    schedulePaused: d.isOn && d.isPaused,
  };
}

/** The targets as written to the API; a stored secret not replaced is left out, so the server keeps it. */
export function targetBodies(drafts: readonly TargetDraft[]): NotificationTargetBody[] {
  return drafts.map((d): NotificationTargetBody => {
    const id = d.id ? { id: d.id } : {};
    switch (d.kind) {
      case 'webhook':
        return { ...id, kind: 'webhook', on: d.on, url: d.url.trim(), ...(d.isReplacing ? { secret: d.secret } : {}) };
      case 'slack':
        return { ...id, kind: 'slack', on: d.on, ...(d.isReplacing ? { url: d.url.trim() } : {}) };
      case 'email':
        return { ...id, kind: 'email', on: d.on, to: recipients(d.to) };
    }
  });
}

const isHttpUrl = (text: string): boolean => {
  try {
    const url = new URL(text.trim());
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
};
const isEmail = (text: string) => /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(text) && text.length <= 254;

/**
 * A typed zone as the IANA name it means: the name itself in any case, or a
 * city alone ("tokyo", "new york") when exactly one zone ends with it.
 */
export function resolveZone(text: string): string {
  const typed = text.trim();
  if (typed === '') return typed;
  const all = timeZones();
  if (all.includes(typed)) return typed;
  const lower = typed.toLowerCase().replace(/\s+/g, '_');
  const exact = all.filter((zone) => zone.toLowerCase() === lower);
  if (exact.length === 1) return exact[0] as string;
  const byCity = all.filter((zone) => zone.toLowerCase().split('/').pop() === lower);
  return byCity.length === 1 ? (byCity[0] as string) : typed;
}

/** The schedule's problems as the server sees them (shared rules), in the user's language; none for empty fields. */
export function liveScheduleProblems(d: ScheduleDraft): FieldErrors {
  const found: FieldErrors = {};
  if (!d.isOn) return found;
  const cron = d.cron.trim();
  const timezone = d.timezone.trim();
  for (const problem of scheduleProblems({ cron: cron || '* * * * *', timezone: timezone || 'UTC' })) {
    if (problem.path === '/schedule/cron' && !cron) continue;
    if (problem.path === '/schedule/timezone' && !timezone) continue;
    (found[problem.path] ??= []).push(localizeValidation(problem.message));
  }
  return found;
}

/** The browser's checks of the schedule section, as field errors at the API's paths. */
export function checkSchedule(d: ScheduleDraft, maxConcurrentRuns: number | null | 'bad'): FieldErrors {
  if (!d.isOn) return {};
  const found: FieldErrors = liveScheduleProblems(d);
  if (d.cron.trim() === '') found['/schedule/cron'] = [t('validation.required')];
  if (d.timezone.trim() === '') found['/schedule/timezone'] = [t('validation.required')];
  if (d.overlap === 'queue' && maxConcurrentRuns !== null && maxConcurrentRuns !== 1) found['/maxConcurrentRuns'] = [t('jobForm.queueNeedsOne')];
  return found;
}

/** The browser's checks of the notification targets: the same rules as the server's. */
export function checkTargets(drafts: readonly TargetDraft[]): FieldErrors {
  const found: FieldErrors = {};
  const add = (path: string, message: string) => (found[path] ??= []).push(message);
  if (drafts.length > MAX_TARGETS) add('/notifications', t('validation.maxItems', { n: MAX_TARGETS }));
  drafts.forEach((d, i) => {
    const at = `/notifications/${i}`;
    if (d.on.length === 0) add(`${at}/on`, t('validation.pickOne'));
    switch (d.kind) {
      case 'webhook':
        if (!isHttpUrl(d.url)) add(`${at}/url`, t('validation.httpUrl'));
        if (d.isReplacing && d.secret.length < MIN_SECRET_CHARS) add(`${at}/secret`, t('validation.minLength', { n: MIN_SECRET_CHARS }));
        break;
      case 'slack':
        if (d.isReplacing && !isHttpUrl(d.url)) add(`${at}/url`, t('validation.httpUrl'));
        break;
      case 'email': {
        const list = recipients(d.to);
        if (list.length === 0) add(`${at}/to`, t('validation.required'));
        else if (list.length > MAX_RECIPIENTS) add(`${at}/to`, t('validation.maxItems', { n: MAX_RECIPIENTS }));
        for (const address of list) if (!isEmail(address)) add(`${at}/to`, t('validation.emailIn', { email: address }));
        break;
      }
    }
  });
  return found;
}

/** A random signing secret (32 URL-safe characters) from the browser's CSPRNG. */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/** Errors at `path` and below it (e.g. `/notifications/0/to/1` under `/notifications/0/to`). */
export function errorsUnder(errors: FieldErrors, path: string): string[] {
  const out: string[] = [];
  for (const [key, messages] of Object.entries(errors)) if (key === path || key.startsWith(path + '/')) out.push(...messages);
  return out;
}
