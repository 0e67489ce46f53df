import { createComputed, createEffect, createMemo, createResource, createSignal, For, on, onCleanup, onMount, Show } from 'solid-js';
import { isApiClientError, MAX_TAGS, TAG_PATTERN, type JobDto, type JobTypeDto, type UpdateJobBody } from '@jobflow/shared/client';
import { client } from '../app/client';
import { errorDetails, errorMessage } from '../app/errors';
import { Link, location, navigate, setQuery } from '../app/router';
import { schemaText, t } from '../i18n/i18n';
import { useTitle } from '../app/title';
import { isAdmin } from '../session/session';
import { loadJobTypes } from '../stores/job-types.store';
import { upsertJob } from '../stores/jobs.store';
import { loadUsers, userIds, users } from '../stores/users.store';
import {
  checkSchedule,
  checkTargets,
  formStateOf,
  intOrNull,
  scheduleBody,
  tagsOf,
  targetBodies,
  type BaseDraft,
  type JobFormState,
  type ScheduleDraft,
  type TargetDraft,
} from './job-draft';
import { EditConflictPanel } from './edit-conflict-panel';
import { conflictRows, rebaseEdit, type ConflictRow } from './job-conflict';
import { NotificationFields } from './notification-fields';
import { ParamsForm, type FieldErrors } from './params-form';
import { focusFirstError } from './run-params';
import { ScheduleFields } from './schedule-fields';
import { defaultsFor, type Schema } from './schema';
import { toFieldErrors, validateJobParams } from './validate';
import { whileBusy } from '../app/busy';

const MAX_TIMEOUT_SEC = 7 * 24 * 3600;

type Draft = BaseDraft;

/** A save refused because the job changed meanwhile: the job as stored now, and what differs. */
interface Conflict {
  latest: JobDto;
  rows: ConflictRow[];
}

/** New job (pick a type, then its generated form) and edit job. */
export default function JobFormScreen(props: { jobId?: string }) {
  const [types] = createResource(() => loadJobTypes());
  const [job] = createResource(
    () => props.jobId,
    (id) => client.jobs.get(id),
  );
  useTitle(() => [props.jobId ? (job() ? t('jobForm.editTitle', { name: job()?.name ?? '' }) : null) : t('jobForm.newTitle')]);
  return (
    <div class="stack narrow">
      <Show when={types.error || job.error}>
        <p class="error" role="alert">
          {errorMessage(types.error ?? job.error)}
        </p>
      </Show>
      <Show
        when={types() && (!props.jobId || job())}
        fallback={
          <Show when={!types.error && !job.error}>
            <p class="muted">{t('common.loading')}</p>
          </Show>
        }
      >
        <JobForm types={types() ?? []} job={job() ?? null} />
      </Show>
    </div>
  );
}

function JobForm(props: { types: JobTypeDto[]; job: JobDto | null }) {
  const isEdit = props.job !== null;
  const usable = () => props.types.filter((jt) => isAdmin() || !jt.adminOnly);
  const typeName = createMemo(() => props.job?.type ?? location().query.get('type') ?? '');
  const jobType = createMemo(() => props.types.find((jt) => jt.type === typeName()) ?? null);
  const initial = formStateOf(props.job);
  const [draft, setDraft] = createSignal<Draft>(initial.draft);
  const [schedule, setSchedule] = createSignal<ScheduleDraft>(initial.schedule);
  const [targets, setTargets] = createSignal<TargetDraft[]>(initial.targets);
  const paramsByType = new Map<string, Record<string, unknown>>();
  const [params, setParams] = createSignal<Record<string, unknown>>(initial.params);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [failure, setFailure] = createSignal<string | null>(null);
  const [isBusy, setBusy] = createSignal(false);
  const [ownerId, setOwnerId] = createSignal(initial.ownerId);
  // The stored job the edit is based on: its `version` goes with the save as `If-Match`.
  const [base, setBase] = createSignal<JobDto | null>(props.job);
  const [conflict, setConflict] = createSignal<Conflict | null>(null);
  /** A newer version someone else saved while the form is open (from the live `job:updated`). */
  const [newerVersion, setNewerVersion] = createSignal<number | null>(null);
  const [rebased, setRebased] = createSignal<{ how: 'reloaded' | 'reapplied'; version: number } | null>(null);
  // Admins may give an existing job to another enabled user (offboarding).
  const canReassign = () => isEdit && isAdmin();
  onMount(() => {
    if (canReassign()) void loadUsers().catch(() => undefined);
  });

  const formState = (): JobFormState => ({ draft: draft(), params: params(), schedule: schedule(), targets: targets(), ownerId: ownerId() });
  const fill = (state: JobFormState) => {
    setDraft(state.draft);
    setParams(state.params);
    setSchedule(state.schedule);
    setTargets(state.targets);
    setOwnerId(state.ownerId);
    setErrors({});
    setFailure(null);
  };

  const noticeNewer = (version: number) => {
    const current = base();
    if (current && version > current.version && !isBusy() && !conflict()) setNewerVersion(version);
  };
  onMount(() => {
    const jobId = props.job?.id;
    if (!jobId) return;
    const subscription = client.subscribe(
      { topic: 'job', jobId },
      {
        onJobUpdated: (job) => noticeNewer(job.version),
        // The job as stored when the subscription began (again after a reconnect): a change made before it came with no event.
        onSubscribed: (snapshot) => {
          if (snapshot.job) noticeNewer(snapshot.job.version);
        },
      },
    );
    onCleanup(() => subscription.close());
  });

  /** Fetches the job as stored now and shows what differs from the edit; the form waits until the user chooses. */
  const showConflict = async () => {
    const from = base();
    if (!from) return;
    const latest = await client.jobs.get(from.id);
    setNewerVersion(null);
    setRebased(null);
    setConflict({ latest, rows: conflictRows(from, formState(), latest) });
  };

  const resolve = (how: 'reloaded' | 'reapplied') => {
    const current = conflict();
    const from = base();
    if (!current || !from) return;
    fill(how === 'reloaded' ? formStateOf(current.latest) : rebaseEdit(from, formState(), current.latest));
    setBase(current.latest);
    upsertJob(current.latest);
    setConflict(null);
    setRebased({ how, version: current.latest.version });
    hasTried = false;
  };

  const ownerName = (id: string): string => {
    for (const job of [conflict()?.latest, base()]) if (job?.ownerId === id && job.ownerName) return job.ownerName;
    const user = users[id];
    return user ? user.name || user.email : id;
  };
  let lastType = '';

  // A new job starts from the schema's defaults; switching types keeps what was typed for each.
  createComputed(() => {
    const jt = jobType();
    if (isEdit || !jt) return;
    if (lastType) paramsByType.set(lastType, params());
    lastType = jt.type;
    setParams(paramsByType.get(jt.type) ?? (defaultsFor(jt.paramsSchema as Schema) as Record<string, unknown> | undefined) ?? {});
    setErrors({});
  });

  let hasTried = false;
  // After a first attempt, errors follow the user's fixes as they type.
  createEffect(
    on(
      [draft, params, schedule, targets],
      ([d, p, sd, ts]) => {
        const jt = jobType();
        if (!hasTried || !jt) return;
        const found = checkAll(jt, d, p, sd, ts);
        setErrors(found);
        if (Object.keys(found).length === 0) setFailure(null);
      },
      { defer: true },
    ),
  );

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const fieldError = (path: string) => errors()[path]?.join(' ');

  const checkBase = (d: Draft): FieldErrors => {
    const found: FieldErrors = {};
    if (d.name.trim() === '') found['/name'] = [t('validation.required')];
    else if (d.name.trim().length > 200) found['/name'] = [t('validation.maxLength', { n: 200 })];
    const timeout = intOrNull(d.timeoutSec);
    if (timeout === 'bad') found['/timeoutSec'] = [t('validation.type', { type: 'integer' })];
    else if (timeout !== null && (timeout < 1 || timeout > MAX_TIMEOUT_SEC)) found['/timeoutSec'] = [t('validation.between', { min: 1, max: MAX_TIMEOUT_SEC })];
    const attempts = intOrNull(d.maxAttempts);
    if (attempts === null || attempts === 'bad' || attempts < 1 || attempts > 100) found['/maxAttempts'] = [t('validation.between', { min: 1, max: 100 })];
    const tags = tagsOf(d.tags);
    if (tags.length > MAX_TAGS) found['/tags'] = [t('validation.maxItems', { n: MAX_TAGS })];
    else if (tags.some((tag) => !TAG_PATTERN.test(tag))) found['/tags'] = [t('jobForm.tagsHint')];
    const concurrent = intOrNull(d.maxConcurrentRuns);
    if (concurrent === 'bad' || (concurrent !== null && (concurrent < 1 || concurrent > 10_000)))
      found['/maxConcurrentRuns'] = [t('validation.between', { min: 1, max: 10_000 })];
    for (const [key, max] of [
      ['keepRuns', 1_000_000],
      ['keepDays', 36_500],
    ] as const) {
      const keep = intOrNull(d[key]);
      if (keep === 'bad' || (keep !== null && (keep < 1 || keep > max))) found[`/${key}`] = [t('validation.between', { min: 1, max })];
    }
    return found;
  };

  const checkAll = (jt: JobTypeDto, d: Draft, p: Record<string, unknown>, sd: ScheduleDraft, ts: readonly TargetDraft[]): FieldErrors => ({
    ...checkSchedule(sd, intOrNull(d.maxConcurrentRuns)),
    ...checkBase(d),
    ...validateJobParams(jt, p),
    ...checkTargets(ts),
  });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const jt = jobType();
    if (!jt) return;
    const d = draft();
    hasTried = true;
    const found = checkAll(jt, d, params(), schedule(), targets());
    setErrors(found);
    setFailure(null);
    if (Object.keys(found).length > 0) {
      setFailure(t('form.fixErrors'));
      focusFirstError();
      return;
    }
    const body: UpdateJobBody = {
      name: d.name.trim(),
      description: d.description,
      tags: tagsOf(d.tags),
      params: params(),
      timeoutSec: intOrNull(d.timeoutSec) as number | null,
      maxAttempts: intOrNull(d.maxAttempts) as number,
      maxConcurrentRuns: intOrNull(d.maxConcurrentRuns) as number | null,
      keepRuns: intOrNull(d.keepRuns) as number | null,
      keepDays: intOrNull(d.keepDays) as number | null,
      ...scheduleBody(schedule()),
      notifications: targetBodies(targets()),
      ...(canReassign() && ownerId() && ownerId() !== base()?.ownerId ? { ownerId: ownerId() } : {}),
    };
    const from = base();
    await whileBusy(
      setBusy,
      async () => {
        let saved: JobDto;
        try {
          saved = from
            ? await client.jobs.update(from.id, body, { ifMatch: from.version })
            : await client.jobs.create({ ...body, type: jt.type, name: body.name ?? '' });
        } catch (e) {
          // Someone saved the job after this form loaded it: nothing was written; show both changes and let the user choose.
          if (!isApiClientError(e, 'precondition_failed')) throw e;
          await showConflict();
          return;
        }
        upsertJob(saved);
        navigate(`/jobs/${encodeURIComponent(saved.id)}`);
      },
      (e) => {
        setErrors(toFieldErrors(errorDetails(e)));
        setFailure(errorMessage(e));
        focusFirstError();
      },
    );
  };

  const baseInput = (
    key: 'timeoutSec' | 'maxAttempts' | 'maxConcurrentRuns' | 'keepRuns' | 'keepDays',
    label: string,
    hint: string,
    min: number,
    max: number,
  ) => (
    <div class="field" classList={{ invalid: !!fieldError(`/${key}`) }}>
      <label class="label" for={`job-${key}`}>
        {label}
      </label>
      <span class="hint" id={`job-${key}-hint`}>
        {hint}
      </span>
      <input
        id={`job-${key}`}
        type="number"
        min={min}
        max={max}
        step={1}
        value={draft()[key]}
        aria-describedby={`job-${key}-hint${fieldError(`/${key}`) ? ` job-${key}-error` : ''}`}
        aria-invalid={fieldError(`/${key}`) ? 'true' : undefined}
        onInput={(e) => set(key, e.currentTarget.value)}
      />
      <Show when={fieldError(`/${key}`)}>
        <span class="field-error" id={`job-${key}-error`} data-error-path={`/${key}`}>
          {fieldError(`/${key}`)}
        </span>
      </Show>
    </div>
  );

  return (
    <>
      <div class="page-head">
        <h1>{isEdit ? t('jobForm.editTitle', { name: base()?.name ?? '' }) : t('jobForm.newTitle')}</h1>
        <Link href={props.job ? `/jobs/${encodeURIComponent(props.job.id)}` : '/'} class="button">
          {t('common.cancel')}
        </Link>
      </div>

      <Show when={!isEdit}>
        <fieldset class="panel type-picker">
          <legend class="panel-legend">{t('jobForm.pickType')}</legend>
          <div class="type-grid">
            <For each={props.types}>
              {(jt) => {
                const isAllowed = () => isAdmin() || !jt.adminOnly;
                return (
                  <label class="type-card" classList={{ selected: typeName() === jt.type, disabled: !isAllowed() }}>
                    <input
                      type="radio"
                      name="job-type"
                      value={jt.type}
                      checked={typeName() === jt.type}
                      disabled={!isAllowed()}
                      onChange={() => setQuery({ type: jt.type })}
                    />
                    <span class="type-title">{schemaText(jt.title)}</span>
                    <span class="type-desc">{schemaText(jt.description)}</span>
                    <Show when={jt.adminOnly}>
                      <span class="tag">{isAllowed() ? t('jobForm.adminOnly') : t('jobForm.adminOnlyLocked')}</span>
                    </Show>
                  </label>
                );
              }}
            </For>
          </div>
          <Show when={usable().length === 0}>
            <p class="muted">{t('jobForm.noTypes')}</p>
          </Show>
        </fieldset>
      </Show>

      <Show when={conflict()}>
        {(c) => (
          <EditConflictPanel
            base={base()!}
            latest={c().latest}
            rows={c().rows}
            paramsSchema={(jobType()?.paramsSchema as Schema | undefined) ?? null}
            ownerName={ownerName}
            onReload={() => resolve('reloaded')}
            onReapply={() => resolve('reapplied')}
          />
        )}
      </Show>

      <Show when={!conflict() && jobType()}>
        {(jt) => (
          <form
            class="panel job-form"
            onSubmit={submit}
            novalidate
            aria-label={isEdit ? t('jobForm.editTitle', { name: base()?.name ?? '' }) : t('jobForm.newTitle')}
          >
            <Show when={newerVersion()}>
              {(version) => (
                <div class="warning newer-version" role="status">
                  <p>{t('conflict.newer', { n: version() })}</p>
                  <button
                    type="button"
                    class="button"
                    disabled={isBusy()}
                    onClick={() => void whileBusy(setBusy, showConflict, (e) => setFailure(errorMessage(e)))}
                  >
                    {t('conflict.compare')}
                  </button>
                </div>
              )}
            </Show>
            <Show when={rebased()}>
              {(r) => (
                <p class="notice rebased" role="status" tabIndex={-1} ref={(el) => queueMicrotask(() => el.focus())}>
                  {r().how === 'reloaded' ? t('conflict.reloaded', { n: r().version }) : t('conflict.reapplied', { n: r().version })}
                </p>
              )}
            </Show>
            <Show when={isEdit}>
              <p class="muted">
                {t('jobs.type')}: <strong>{schemaText(jt().title)}</strong>
              </p>
            </Show>
            <div class="field" classList={{ invalid: !!fieldError('/name') }}>
              <span class="label-row">
                <label class="label" for="job-name">
                  {t('jobs.name')}
                </label>
                <span class="required">{t('form.required')}</span>
              </span>
              <input
                id="job-name"
                value={draft().name}
                maxLength={200}
                aria-required="true"
                aria-invalid={fieldError('/name') ? 'true' : undefined}
                aria-describedby={fieldError('/name') ? 'job-name-error' : undefined}
                onInput={(e) => set('name', e.currentTarget.value)}
              />
              <Show when={fieldError('/name')}>
                <span class="field-error" id="job-name-error" data-error-path="/name">
                  {fieldError('/name')}
                </span>
              </Show>
            </div>
            <div class="field">
              <label class="label" for="job-description">
                {t('jobs.description')}
              </label>
              <textarea id="job-description" rows={2} value={draft().description} onInput={(e) => set('description', e.currentTarget.value)} />
            </div>
            <div class="field" classList={{ invalid: !!fieldError('/tags') }}>
              <label class="label" for="job-tags">
                {t('jobs.tags')}
              </label>
              <span class="hint" id="job-tags-hint">
                {t('jobForm.tagsHint')}
              </span>
              <input
                id="job-tags"
                value={draft().tags}
                autocomplete="off"
                aria-describedby={`job-tags-hint${fieldError('/tags') ? ' job-tags-error' : ''}`}
                aria-invalid={fieldError('/tags') ? 'true' : undefined}
                onInput={(e) => set('tags', e.currentTarget.value)}
              />
              <Show when={fieldError('/tags')}>
                <span class="field-error" id="job-tags-error" data-error-path="/tags">
                  {fieldError('/tags')}
                </span>
              </Show>
            </div>

            <fieldset class="fieldset">
              <legend>
                <span class="label">{t('jobForm.params', { type: schemaText(jt().title) })}</span>
              </legend>
              <span class="hint">{schemaText(jt().description)}</span>
              <ParamsForm schema={jt().paramsSchema as Schema} value={params} onChange={setParams} errors={errors} isDisabled={isBusy} />
              <Show when={errors()['/params']}>
                <span class="field-error" data-error-path="/params">
                  {errors()['/params']?.join(' ')}
                </span>
              </Show>
            </fieldset>

            <details
              class="fieldset advanced"
              open={
                isEdit ||
                !!(errors()['/timeoutSec'] || errors()['/maxAttempts'] || errors()['/maxConcurrentRuns'] || errors()['/keepRuns'] || errors()['/keepDays'])
              }
            >
              <summary>{t('jobForm.execution')}</summary>
              <div class="grid-3">
                {baseInput('timeoutSec', t('jobs.timeoutSec'), t('jobForm.timeoutHint'), 1, MAX_TIMEOUT_SEC)}
                {baseInput('maxAttempts', t('jobs.maxAttempts'), t('jobForm.attemptsHint'), 1, 100)}
                {baseInput('maxConcurrentRuns', t('jobs.maxConcurrentRuns'), t('jobForm.concurrentHint'), 1, 10_000)}
              </div>
              <div class="grid-3">
                {baseInput('keepRuns', t('jobs.keepRuns'), t('jobForm.keepRunsHint'), 1, 1_000_000)}
                {baseInput('keepDays', t('jobs.keepDays'), t('jobForm.keepDaysHint'), 1, 36_500)}
              </div>
            </details>

            <Show when={canReassign()}>
              <div class="field" classList={{ invalid: !!errors()['/ownerId'] }}>
                <label class="label" for="job-owner">
                  {t('jobForm.owner')}
                </label>
                <span class="hint" id="job-owner-hint">
                  {t('jobForm.ownerHint')}
                </span>
                <select id="job-owner" value={ownerId()} aria-describedby="job-owner-hint" onChange={(e) => setOwnerId(e.currentTarget.value)}>
                  <Show when={!users[ownerId()]}>
                    <option value={ownerId()}>{ownerName(ownerId())}</option>
                  </Show>
                  <For each={userIds().filter((id) => users[id] && (!users[id]!.disabled || id === base()?.ownerId))}>
                    {(id) => <option value={id}>{users[id]!.name ? `${users[id]!.name} (${users[id]!.email})` : users[id]!.email}</option>}
                  </For>
                </select>
                <Show when={errors()['/ownerId']}>
                  <span class="field-error" data-error-path="/ownerId">
                    {errors()['/ownerId']?.join(' ')}
                  </span>
                </Show>
              </div>
            </Show>

            <ScheduleFields value={schedule()} onChange={(patch) => setSchedule((sd) => ({ ...sd, ...patch }))} errors={errors()} isDisabled={isBusy()} />
            <NotificationFields value={targets()} onChange={setTargets} errors={errors()} isDisabled={isBusy()} />

            <Show when={failure()}>
              <p class="error" role="alert">
                {failure()}
              </p>
            </Show>
            <div class="actions">
              <button type="submit" class="button primary" disabled={isBusy()}>
                {isBusy() ? t('common.saving') : isEdit ? t('jobForm.save') : t('jobForm.create')}
              </button>
            </div>
          </form>
        )}
      </Show>
    </>
  );
}
