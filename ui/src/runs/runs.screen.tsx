import { createEffect, createMemo, createResource, createSignal, For, on, onCleanup, onMount, Show } from 'solid-js';
import { isFinalStatus, RUN_STATUSES, TAG_PATTERN, TRIGGER_KINDS, type RunListQuery, type RunSummaryDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { createNow } from '../app/clock';
import { announce } from '../app/announce';
import { errorMessage } from '../app/errors';
import { Link, location, setQuery } from '../app/router';
import { useTitle } from '../app/title';
import { confirmAction } from '../components/confirm';
import { ListFooter } from '../components/list-footer';
import { RunsTable, type RunSelection } from '../components/runs-table';
import { formatNumber, schemaText, t } from '../i18n/i18n';
import { jobTypes, loadJobTypes } from '../stores/job-types.store';
import { jobs, upsertJob } from '../stores/jobs.store';
import { onStoreEvents, storeHandlers } from '../stores/live';
import { createPagedList } from '../stores/paged-list';
import { notePeople } from '../stores/people.store';
import { byQueuedDesc, runs, upsertRun, upsertRuns } from '../stores/runs.store';

/** A local day (yyyy-mm-dd) as the ISO instant it starts at, or undefined. */
const dayStart = (day: string | null, addDays = 0): string | undefined => {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const at = new Date(`${day}T00:00:00`);
  at.setDate(at.getDate() + addDays);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
};

const oneOf = <T extends string>(value: string | null, options: readonly T[]): T | undefined =>
  value !== null && (options as readonly string[]).includes(value) ? (value as T) : undefined;

/** Every run, newest first, filtered by what the URL says, live, with bulk cancel and rerun of the selection. */
export default function RunsScreen() {
  useTitle(() => [t('runsPage.title')]);
  const now = createNow(1000);
  const query = () => location().query;
  const filter = createMemo(
    (): RunListQuery => {
      const tag = query().get('tag');
      return {
        status: oneOf(query().get('status'), RUN_STATUSES),
        jobId: query().get('jobId') ?? undefined,
        type: query().get('type') ?? undefined,
        tag: tag && TAG_PATTERN.test(tag) ? tag : undefined,
        trigger: oneOf(query().get('trigger'), TRIGGER_KINDS),
        userId: query().get('userId') ?? undefined,
        since: dayStart(query().get('since')),
        until: dayStart(query().get('until'), 1),
        q: query().get('q') ?? undefined,
      };
    },
    undefined,
    { equals: (a, b) => JSON.stringify(a) === JSON.stringify(b) },
  );
  const list = createPagedList({
    fetchPage: (cursor, limit) => client.runs.list({ ...filter(), cursor, limit }),
    store: upsertRuns,
  });
  createEffect(on(filter, () => void list.reload()));

  const [people] = createResource(async () => {
    const found = await client.people.list();
    notePeople(found);
    return found;
  });
  const [filterJob] = createResource(
    () => filter().jobId,
    async (jobId) => {
      if (!jobs[jobId]) upsertJob(await client.jobs.get(jobId));
      return jobs[jobId] ?? null;
    },
  );

  // What the server would list: a live run is added only when it matches every filter (a job's type and tags as the store knows them).
  const matches = (run: RunSummaryDto): boolean => {
    const f = filter();
    const job = jobs[run.jobId];
    if (f.status && run.status !== f.status) return false;
    if (f.jobId && run.jobId !== f.jobId) return false;
    if (f.trigger && run.trigger.kind !== f.trigger) return false;
    if (f.userId && run.trigger.userId !== f.userId) return false;
    if (f.since && run.queuedAt < f.since) return false;
    if (f.until && run.queuedAt >= f.until) return false;
    if (f.q && !run.jobName.toLowerCase().includes(f.q.toLowerCase()) && !run.id.startsWith(f.q.toLowerCase())) return false;
    if (f.type && job?.type !== f.type) return false;
    if (f.tag && !job?.tags.includes(f.tag)) return false;
    return true;
  };
  const insert = (run: RunSummaryDto) => {
    if (list.has(run.id) || !matches(run)) return;
    list.insert(run.id, (a, b) => {
      const ra = runs[a];
      const rb = runs[b];
      return !!ra && !!rb && byQueuedDesc(ra, rb) < 0;
    });
  };
  // A type or tag filter needs the run's job: fetched once when the store lacks it.
  const fetchingJobs = new Map<string, Promise<unknown>>();
  const jobOf = (jobId: string): Promise<unknown> => {
    let pending = fetchingJobs.get(jobId);
    if (!pending) {
      pending = client.jobs.get(jobId).then(upsertJob, () => undefined);
      fetchingJobs.set(jobId, pending);
    }
    return pending;
  };
  onCleanup(
    onStoreEvents((events) => {
      for (const event of events) {
        if (event.type !== 'run') continue;
        const run = event.run;
        if ((filter().type || filter().tag) && !jobs[run.jobId]) void jobOf(run.jobId).then(() => insert(runs[run.id] ?? run));
        else insert(run);
      }
    }),
  );
  onMount(() => {
    void loadJobTypes().catch(() => undefined);
    const subscription = client.subscribe({ topic: 'dashboard' }, { ...storeHandlers, onRefetch: () => void list.reload(true) });
    onCleanup(() => subscription.close());
  });

  // The search box writes the URL a moment after typing stops.
  const [search, setSearch] = createSignal(query().get('q') ?? '');
  const [tagText, setTagText] = createSignal(query().get('tag') ?? '');
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(searchTimer));
  const onSearchInput = (value: string) => {
    setSearch(value);
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setQuery({ q: value.trim() }), 250);
  };
  const isTagValid = () => tagText().trim() === '' || TAG_PATTERN.test(tagText().trim());
  const hasFilters = () => Object.values(filter()).some((v) => v !== undefined);
  const clearFilters = () => {
    setSearch('');
    setTagText('');
    setQuery({ status: null, jobId: null, type: null, tag: null, trigger: null, userId: null, since: null, until: null, q: null });
  };

  // Selection: kept across live updates and pages; only ids still shown count.
  const [selected, setSelected] = createSignal<ReadonlySet<string>>(new Set());
  createEffect(on(filter, () => setSelected(new Set<string>())));
  const selection: RunSelection = {
    isSelected: (id) => selected().has(id),
    toggle: (id, isOn) =>
      setSelected((current) => {
        const next = new Set(current);
        if (isOn) next.add(id);
        else next.delete(id);
        return next;
      }),
    toggleAll: (isOn) => setSelected(isOn ? new Set(list.ids()) : new Set<string>()),
  };
  const selectedIds = () => list.ids().filter((id) => selected().has(id));
  const cancellable = () => selectedIds().filter((id) => runs[id] && !isFinalStatus(runs[id]!.status));
  const [isBusy, setBusy] = createSignal(false);
  const [outcome, setOutcome] = createSignal<{ text: string; problems: string[] } | null>(null);

  /** Runs `action` on each id (a few at a time); every refusal (e.g. not allowed for one run) is reported, the rest go through. */
  async function bulk(ids: string[], action: (id: string) => Promise<RunSummaryDto>, done: (n: number) => string) {
    setBusy(true);
    setOutcome(null);
    const problems: string[] = [];
    let succeeded = 0;
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          upsertRun(await action(id));
          succeeded++;
        } catch (e) {
          problems.push(t('runsPage.bulkProblem', { id: id.slice(0, 8), job: runs[id]?.jobName ?? '', error: errorMessage(e) }));
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    setBusy(false);
    setSelected(new Set<string>());
    const text = done(succeeded);
    setOutcome({ text, problems });
    announce(problems.length ? `${text} ${t('runsPage.bulkRefused', { n: formatNumber(problems.length) })}` : text);
  }

  const cancelSelected = async () => {
    const ids = cancellable();
    if (ids.length === 0) return;
    if (!(await confirmAction(t('runsPage.confirmCancel', { n: formatNumber(ids.length) }), t('runsPage.cancelConfirm'), true, t('run.keepRunning')))) return;
    await bulk(
      ids,
      (id) => client.runs.cancel(id),
      (n) => t('runsPage.cancelled', { n: formatNumber(n) }),
    );
  };
  const rerunSelected = async () => {
    const ids = selectedIds();
    if (ids.length === 0) return;
    if (!(await confirmAction(t('runsPage.confirmRerun', { n: formatNumber(ids.length) }), t('runsPage.rerunConfirm'), false))) return;
    await bulk(
      ids,
      (id) => client.runs.rerun(id),
      (n) => t('runsPage.rerun', { n: formatNumber(n) }),
    );
  };

  return (
    <div class="stack">
      <div class="page-head">
        <h1>{t('runsPage.title')}</h1>
      </div>
      <section class="panel" aria-labelledby="runs-list-title">
        <h2 id="runs-list-title" class="visually-hidden">
          {t('runsPage.title')}
        </h2>
        <div class="filters runs-filters" role="group" aria-label={t('runsPage.filters')}>
          <label class="field-inline">
            <span>{t('dashboard.search')}</span>
            <input
              type="search"
              data-search
              value={search()}
              placeholder={t('runsPage.searchPlaceholder')}
              onInput={(e) => onSearchInput(e.currentTarget.value)}
            />
          </label>
          <label class="field-inline">
            <span>{t('dashboard.status')}</span>
            <select value={filter().status ?? ''} onChange={(e) => setQuery({ status: e.currentTarget.value })}>
              <option value="">{t('dashboard.allStatuses')}</option>
              <For each={RUN_STATUSES}>{(s) => <option value={s}>{t(`status.${s}`)}</option>}</For>
            </select>
          </label>
          <label class="field-inline">
            <span>{t('dashboard.type')}</span>
            <select value={filter().type ?? ''} onChange={(e) => setQuery({ type: e.currentTarget.value })}>
              <option value="">{t('dashboard.allTypes')}</option>
              <For each={jobTypes() ?? []}>{(jt) => <option value={jt.type}>{schemaText(jt.title)}</option>}</For>
            </select>
          </label>
          <label class="field-inline">
            <span>{t('runs.trigger')}</span>
            <select value={filter().trigger ?? ''} onChange={(e) => setQuery({ trigger: e.currentTarget.value })}>
              <option value="">{t('runsPage.anyTrigger')}</option>
              <For each={TRIGGER_KINDS}>{(kind) => <option value={kind}>{t(`trigger.${kind}`)}</option>}</For>
            </select>
          </label>
          <label class="field-inline">
            <span>{t('runs.startedBy')}</span>
            <select value={filter().userId ?? ''} onChange={(e) => setQuery({ userId: e.currentTarget.value })}>
              <option value="">{t('runsPage.anyone')}</option>
              <For each={people() ?? []}>{(person) => <option value={person.id}>{person.name}</option>}</For>
            </select>
          </label>
          <label class="field-inline">
            <span>{t('jobs.tags')}</span>
            <input
              type="text"
              class="tag-input"
              value={tagText()}
              aria-invalid={!isTagValid()}
              aria-describedby={isTagValid() ? undefined : 'tag-filter-error'}
              onInput={(e) => setTagText(e.currentTarget.value)}
              onChange={(e) => {
                const value = e.currentTarget.value.trim();
                if (value === '' || TAG_PATTERN.test(value)) setQuery({ tag: value });
              }}
            />
          </label>
          <label class="field-inline">
            <span>{t('audit.since')}</span>
            <input type="date" value={query().get('since') ?? ''} onChange={(e) => setQuery({ since: e.currentTarget.value })} />
          </label>
          <label class="field-inline">
            <span>{t('audit.until')}</span>
            <input type="date" value={query().get('until') ?? ''} onChange={(e) => setQuery({ until: e.currentTarget.value })} />
          </label>
          <Show when={filter().jobId}>
            <span class="tag filter-chip">
              {t('runsPage.ofJob', { job: filterJob()?.name ?? filter().jobId?.slice(0, 8) ?? '' })}{' '}
              <button type="button" class="button small" onClick={() => setQuery({ jobId: null })} aria-label={t('runsPage.removeJobFilter')}>
                ×
              </button>
            </span>
          </Show>
          <Show when={hasFilters()}>
            <button type="button" class="button small" onClick={clearFilters}>
              {t('runsPage.clearFilters')}
            </button>
          </Show>
        </div>
        <Show when={!isTagValid()}>
          <p class="field-error" id="tag-filter-error">
            {t('jobForm.tagsHint')}
          </p>
        </Show>
        <div class="bulk-bar" role="group" aria-label={t('runsPage.bulk')}>
          <span class="muted" aria-live="polite">
            {t('runsPage.selected', { n: formatNumber(selectedIds().length) })}
          </span>
          <button type="button" class="button danger" disabled={isBusy() || cancellable().length === 0} onClick={() => void cancelSelected()}>
            {t('runsPage.cancelSelected', { n: formatNumber(cancellable().length) })}
          </button>
          <button type="button" class="button" disabled={isBusy() || selectedIds().length === 0} onClick={() => void rerunSelected()}>
            {t('runsPage.rerunSelected', { n: formatNumber(selectedIds().length) })}
          </button>
        </div>
        <Show when={outcome()}>
          {(o) => (
            <div class="bulk-outcome" classList={{ error: o().problems.length > 0 }} role="status">
              <p>{o().text}</p>
              <Show when={o().problems.length > 0}>
                <ul>
                  <For each={o().problems}>{(problem) => <li>{problem}</li>}</For>
                </ul>
              </Show>
            </div>
          )}
        </Show>
        <RunsTable ids={list.ids()} now={now()} showJob caption={t('runsPage.title')} selection={selection} />
        <ListFooter list={list} emptyText={hasFilters() ? t('runsPage.noMatch') : t('dashboard.noRuns')} />
      </section>
      <p>
        <Link href="/">{t('common.backToDashboard')}</Link>
      </p>
    </div>
  );
}
