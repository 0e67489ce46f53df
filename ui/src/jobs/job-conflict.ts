import { isApiClientError, type JobDto, type JobSummaryDto } from '@jobflow/shared/client';
import { schemaText, t } from '../i18n/i18n';
import { BASE_DRAFT_KEYS, formStateOf, intOrNull, scheduleBody, tagsOf, type BaseDraft, type JobFormState, type TargetDraft } from './job-draft';
import { cloneJson, fieldKind, jsonEqual, pointer, type Schema } from './schema';

/**
 * One field of a job that differs between the version an edit started from
 * (`before`), the version stored now (`theirs`) and the edit (`mine`). Params
 * come one leaf each, keyed by their JSON Pointer under `params`.
 */
export interface ConflictRow {
  /** `name`, `schedule`, ... or `params/<pointer>`. */
  key: string;
  before: unknown;
  theirs: unknown;
  mine: unknown;
  /** Changed by someone else since the edit started. */
  isTheirs: boolean;
  /** Changed by the edit. */
  isMine: boolean;
}

/** The fields in the order the form shows them; params sit where their fieldset is. */
const FIELD_ORDER = ['name', 'description', 'tags', 'params', 'timeoutSec', 'maxAttempts', 'maxConcurrentRuns', 'keepRuns', 'keepDays'] as const;
const AFTER_PARAMS = ['owner', 'enabled', 'schedule', 'scheduleOverlap', 'scheduleMissed', 'schedulePaused', 'notifications'] as const;

const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The leaves of a params object by JSON Pointer: arrays, scalars and empty objects are leaves. */
export function paramLeaves(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (isPlainObject(value) && (prefix === '' || Object.keys(value).length > 0)) {
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      for (const [path, leaf] of paramLeaves(child, prefix + pointer(key))) out.set(path, leaf);
    }
  } else if (prefix !== '') {
    out.set(prefix, value);
  }
  return out;
}

const unescape = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/** Puts `value` at `path` in `target`, making the objects on the way; an empty object never replaces one already there. */
function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('/').slice(1).map(unescape);
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    if (!isPlainObject(node[segment])) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  const last = segments[segments.length - 1] as string;
  if (isPlainObject(value) && Object.keys(value).length === 0 && isPlainObject(node[last])) return;
  node[last] = cloneJson(value);
}

/** How the notification targets read, one line each; a secret shows only as its mask, or as "new" when replaced. */
function targetLines(targets: readonly TargetDraft[]): string[] {
  return targets.map((target) => {
    const on = target.on.map((event) => t(`notify.event.${event}`)).join(', ');
    const kind = t(`notify.kind.${target.kind}`);
    switch (target.kind) {
      case 'webhook':
        return `${kind} ${target.url.trim()} (${on}) · ${t('notify.secret')}: ${target.isReplacing ? t('conflict.newSecret') : (target.storedSecret ?? '')}`;
      case 'slack':
        return `${kind} ${target.isReplacing ? t('conflict.newSecret') : (target.storedUrl ?? '')} (${on})`;
      case 'email':
        return `${kind} ${target.to.trim()} (${on})`;
    }
  });
}

const numberField = (text: string): number | string | null => {
  const n = intOrNull(text);
  return n === 'bad' ? text.trim() : n;
};

/** Each field of a form state as a value to compare: what saving it would store. */
export function comparableOf(state: JobFormState, enabled: boolean): Map<string, unknown> {
  const d = state.draft;
  const schedule = scheduleBody(state.schedule);
  const own: Record<string, unknown> = {
    name: d.name.trim(),
    description: d.description,
    tags: tagsOf(d.tags),
    timeoutSec: numberField(d.timeoutSec),
    maxAttempts: numberField(d.maxAttempts),
    maxConcurrentRuns: numberField(d.maxConcurrentRuns),
    keepRuns: numberField(d.keepRuns),
    keepDays: numberField(d.keepDays),
    owner: state.ownerId,
    enabled,
    schedule: schedule.schedule,
    scheduleOverlap: schedule.schedulePolicy.overlap,
    scheduleMissed: schedule.schedulePolicy.missed,
    schedulePaused: schedule.schedulePaused,
    notifications: targetLines(state.targets),
  };
  const out = new Map<string, unknown>();
  for (const key of [...FIELD_ORDER, ...AFTER_PARAMS]) {
    if (key !== 'params') out.set(key, own[key]);
    else for (const [path, leaf] of paramLeaves(state.params)) out.set(`params${path}`, leaf);
  }
  return out;
}

/** Keys of the three maps, each once, params where they belong and in the order they first appear. */
function unionKeys(...maps: Map<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const map of maps) for (const key of map.keys()) seen.add(key);
  const all = [...seen];
  const isParam = (key: string) => key.startsWith('params/');
  const paramsAt = FIELD_ORDER.indexOf('params');
  const before = all.filter((key) => !isParam(key) && FIELD_ORDER.indexOf(key as never) >= 0 && FIELD_ORDER.indexOf(key as never) < paramsAt);
  const rest = all.filter((key) => !isParam(key) && !before.includes(key));
  return [...before, ...all.filter(isParam), ...rest];
}

/**
 * What stands between an edit and the job stored now: every field that
 * someone else changed since `base` (the version the edit started from), or
 * that the edit changed, with the three values. Empty when neither changed
 * anything the form edits.
 */
export function conflictRows(base: JobDto, mine: JobFormState, latest: JobDto): ConflictRow[] {
  const before = comparableOf(formStateOf(base), base.enabled);
  const edited = comparableOf(mine, base.enabled);
  const theirs = comparableOf(formStateOf(latest), latest.enabled);
  return unionKeys(before, theirs, edited).flatMap((key) => {
    const row = { key, before: before.get(key), theirs: theirs.get(key), mine: edited.get(key) };
    const isTheirs = !jsonEqual(row.before, row.theirs);
    const isMine = !jsonEqual(row.before, row.mine);
    return isTheirs || isMine ? [{ ...row, isTheirs, isMine }] : [];
  });
}

/**
 * The edit made again on top of `latest`: each field the edit changed since
 * `base` takes the edit's value (a param leaf by leaf), every other field
 * takes `latest`'s. Where both changed one field, the edit's value wins, as
 * the conflict view says before the user chooses this.
 */
export function rebaseEdit(base: JobDto, mine: JobFormState, latest: JobDto): JobFormState {
  const before = comparableOf(formStateOf(base), base.enabled);
  const edited = comparableOf(mine, base.enabled);
  const isMine = (key: string) => !jsonEqual(before.get(key), edited.get(key));
  const theirs = formStateOf(latest);

  const draft = { ...theirs.draft };
  for (const key of BASE_DRAFT_KEYS) if (isMine(key)) (draft as Record<keyof BaseDraft, string>)[key] = mine.draft[key];

  const schedule = { ...theirs.schedule };
  if (isMine('schedule')) Object.assign(schedule, { isOn: mine.schedule.isOn, cron: mine.schedule.cron, timezone: mine.schedule.timezone });
  if (isMine('scheduleOverlap')) schedule.overlap = mine.schedule.overlap;
  if (isMine('scheduleMissed')) schedule.missed = mine.schedule.missed;
  if (isMine('schedulePaused')) schedule.isPaused = mine.schedule.isPaused;

  const baseLeaves = paramLeaves(base.params);
  const mineLeaves = paramLeaves(mine.params);
  const theirLeaves = paramLeaves(theirs.params);
  const leafIsMine = (path: string) => !jsonEqual(baseLeaves.get(path), mineLeaves.get(path));
  const params: Record<string, unknown> = {};
  // Parents before children, theirs before mine: a leaf of the edit lands last and so wins.
  const sorted = (paths: Iterable<string>) => [...paths].sort();
  for (const path of sorted(theirLeaves.keys())) if (!leafIsMine(path)) setAt(params, path, theirLeaves.get(path));
  for (const path of sorted(mineLeaves.keys())) if (leafIsMine(path)) setAt(params, path, mineLeaves.get(path));

  return {
    draft,
    params,
    schedule,
    targets: isMine('notifications') ? mine.targets : theirs.targets,
    ownerId: isMine('owner') ? mine.ownerId : theirs.ownerId,
  };
}

/** A params pointer in words: each step by its title in the schema, or a map entry by its key. */
export function paramLabel(schema: Schema | null, path: string): string {
  const words: string[] = [];
  let node: Schema | null = schema;
  for (const segment of path.split('/').slice(1).map(unescape)) {
    const kind = node ? fieldKind(node) : 'json';
    if (node && kind === 'object' && node.properties?.[segment]) {
      node = node.properties[segment] ?? null;
      words.push(node?.title ? schemaText(node.title) : segment);
    } else if (node && kind === 'map' && typeof node.additionalProperties === 'object') {
      node = node.additionalProperties;
      words.push(segment);
    } else {
      node = null;
      words.push(segment);
    }
  }
  return words.join(' › ');
}

/** The field's name as the form labels it. */
export function conflictLabel(key: string, paramsSchema: Schema | null): string {
  if (key.startsWith('params/')) return `${t('conflict.params')} › ${paramLabel(paramsSchema, key.slice('params'.length))}`;
  switch (key) {
    case 'name':
      return t('jobs.name');
    case 'description':
      return t('jobs.description');
    case 'tags':
      return t('jobs.tags');
    case 'timeoutSec':
      return t('jobs.timeoutSec');
    case 'maxAttempts':
      return t('jobs.maxAttempts');
    case 'maxConcurrentRuns':
      return t('jobs.maxConcurrentRuns');
    case 'keepRuns':
      return t('jobs.keepRuns');
    case 'keepDays':
      return t('jobs.keepDays');
    case 'owner':
      return t('jobForm.owner');
    case 'enabled':
      return t('job.enabled');
    case 'schedule':
      return t('jobForm.scheduleSection');
    case 'scheduleOverlap':
      return t('schedule.overlapShort');
    case 'scheduleMissed':
      return t('schedule.missedShort');
    case 'schedulePaused':
      return t('jobForm.paused');
    case 'notifications':
      return t('notify.title');
    default:
      return key;
  }
}

/** A field's value as a sentence for the conflict view. */
export function conflictValue(key: string, value: unknown, ownerName: (id: string) => string): string {
  if (value === undefined || value === null || value === '') {
    if (key === 'schedule') return t('conflict.noSchedule');
    return t('conflict.notSet');
  }
  switch (key) {
    case 'owner':
      return ownerName(String(value));
    case 'schedule': {
      const schedule = value as { cron: string; timezone: string };
      return `${schedule.cron} (${schedule.timezone})`;
    }
    case 'scheduleOverlap':
      return t(`schedule.overlap.${value as 'allow' | 'skip' | 'queue'}`);
    case 'scheduleMissed':
      return t(`schedule.missed.${value as 'skip' | 'run-once'}`);
    case 'tags':
      return (value as string[]).length ? (value as string[]).join(', ') : t('conflict.notSet');
    case 'notifications':
      return (value as string[]).length ? (value as string[]).join('\n') : t('conflict.none');
  }
  if (typeof value === 'boolean') return value ? t('conflict.yes') : t('conflict.no');
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** What a one-field change of the job on screen came to. */
export type ShownJobChange = { outcome: 'changed'; job: JobDto } | { outcome: 'stale'; job: JobDto; message: string };

/**
 * A one-field change of the job on screen (enable, disable, pause, resume),
 * sent with the version the page shows as `If-Match`, as the edit form saves:
 * a job someone changed meanwhile is left as it is (412), and the job as
 * stored now comes back to be shown, with a sentence that says so.
 */
export async function changeShownJob(
  shown: Pick<JobSummaryDto, 'id' | 'version'>,
  change: (ifMatch: number) => Promise<JobDto>,
  reload: (id: string) => Promise<JobDto>,
): Promise<ShownJobChange> {
  try {
    return { outcome: 'changed', job: await change(shown.version) };
  } catch (error) {
    if (!isApiClientError(error, 'precondition_failed')) throw error;
    const job = await reload(shown.id);
    return { outcome: 'stale', job, message: t('job.changedMeanwhile', { n: job.version }) };
  }
}
