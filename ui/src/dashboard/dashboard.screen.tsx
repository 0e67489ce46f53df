import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from 'solid-js';
import { RUN_STATUSES, TAG_PATTERN, type RunStatus } from '@jobflow/shared/client';
import { client } from '../app/client';
import { createNow } from '../app/clock';
import { errorMessage } from '../app/errors';
import { afterTask, inSteps } from '../app/in-steps';
import { Link, location, setQuery } from '../app/router';
import { ListFooter } from '../components/list-footer';
import { Owner } from '../components/owner';
import { RunsTable } from '../components/runs-table';
import { StatusBadge } from '../components/status';
import { Time } from '../components/time';
import { formatNumber, schemaText, t } from '../i18n/i18n';
import { useTitle } from '../app/title';
import { jobTypes, jobTypeTitle, loadJobTypes } from '../stores/job-types.store';
import { jobs, upsertJobs } from '../stores/jobs.store';
import { onStoreEvents, storeHandlers } from '../stores/live';
import { createPagedList } from '../stores/paged-list';
import { byQueuedDesc, runs, upsertRuns } from '../stores/runs.store';
import { QueuePanel } from './queue-panel';
import { RunsChart } from './runs-chart';
import { UpcomingPanel } from './upcoming-panel';
import { createRunStats, HOUR_MS, WINDOW_HOURS } from './run-stats';

/** Runs on the dashboard: the latest few; the runs page has every one. */
const RECENT_RUNS = 10;

/** Job rows rendered per task on the first load (50 at once would hold a phone's main thread for a quarter of a second). */
const JOB_ROWS_PER_TASK = 10;

const isStatus = (value: string | null): value is RunStatus => value !== null && (RUN_STATUSES as readonly string[]).includes(value);

/** The shared screen: counts, chart, jobs and recent runs, all live. */
export default function DashboardScreen() {
  useTitle(() => [t('dashboard.title')]);
  const now = createNow(1000);
  const hourNow = createNow(60_000);
  const q = createMemo(() => location().query.get('q') ?? '');
  const type = createMemo(() => location().query.get('type') ?? '');
  const tag = createMemo(() => {
    const value = location().query.get('tag') ?? '';
    return TAG_PATTERN.test(value) ? value : '';
  });
  const [tagText, setTagText] = createSignal(tag());
  const status = createMemo((): RunStatus | null => {
    const value = location().query.get('status');
    return isStatus(value) ? value : null;
  });
  // "Failed in the last 24 h": failed runs that finished within the window, not failures of all time.
  const within = createMemo(() => (location().query.get('within') === '24h' ? WINDOW_HOURS : null));
  const [search, setSearch] = createSignal(q());

  const jobList = createPagedList({
    fetchPage: (cursor, limit) => client.jobs.list({ q: q() || undefined, type: type() || undefined, tag: tag() || undefined, cursor, limit }),
    store: upsertJobs,
  });
  const runList = createPagedList({
    fetchPage: (cursor, limit) =>
      client.runs.list({
        status: status() ?? undefined,
        finishedSince: within() ? new Date(Date.now() - (within() ?? 0) * HOUR_MS).toISOString() : undefined,
        cursor,
        limit,
      }),
    store: upsertRuns,
    pageSize: RECENT_RUNS,
  });
  const [statsError, setStatsError] = createSignal<unknown>(null);
  const stats = createRunStats({
    fetchStats: () => client.runs.stats({ hours: WINDOW_HOURS }),
    stored: (id) => runs[id],
    onRefetchError: setStatsError,
  });
  onCleanup(() => stats.dispose());
  const loadStats = (hasMissedEvents = false) => stats.load(hasMissedEvents).then(() => setStatsError(null), setStatsError);

  // The requests go out in the task after the first render: that render, with the page's first paint, is
  // long enough on a phone without them.
  const isStarted = afterTask(() => true);
  createEffect(on([isStarted, q, type, tag], ([started]) => void (started && jobList.reload())));
  createEffect(on([isStarted, status, within], ([started]) => void (started && runList.reload())));

  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  const onSearchInput = (value: string) => {
    setSearch(value);
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setQuery({ q: value.trim() }), 250);
  };
  onCleanup(() => clearTimeout(searchTimer));

  const matchesJob = (job: { name: string; type: string; tags: string[] }) =>
    (!q() || job.name.toLowerCase().includes(q().toLowerCase())) && (!type() || job.type === type()) && (!tag() || job.tags.includes(tag()));

  onCleanup(
    onStoreEvents((events) => {
      for (const event of events) {
        if (event.type === 'job-deleted') jobList.remove(event.id);
        else if (event.type === 'job') {
          if (!jobList.has(event.job.id) && matchesJob(event.job)) {
            jobList.insert(event.job.id, (a, b) => (jobs[a]?.createdAt ?? '') > (jobs[b]?.createdAt ?? ''));
          }
        } else if (event.type === 'run') {
          const wanted = status();
          const isRecent = !within() || (event.run.finishedAt !== null && Date.parse(event.run.finishedAt) > Date.now() - (within() ?? 0) * HOUR_MS);
          if (!runList.has(event.run.id) && (!wanted || event.run.status === wanted) && isRecent) {
            runList.insert(event.run.id, (a, b) => {
              const ra = runs[a];
              const rb = runs[b];
              return !!ra && !!rb && byQueuedDesc(ra, rb) < 0;
            });
          }
        }
      }
    }),
  );

  createEffect(
    on(isStarted, (started) => {
      if (!started) return;
      void loadJobTypes().catch(() => undefined);
      void loadStats();
      const subscription = client.subscribe(
        { topic: 'dashboard' },
        {
          ...storeHandlers,
          onRunUpdated: (run) => {
            // In arrival order, before the stores move: the stats need each transition.
            stats.noteRun(run);
            storeHandlers.onRunUpdated(run);
          },
          onRefetch: () => {
            void jobList.reload(true);
            void runList.reload(true);
            void loadStats(true);
          },
        },
      );
      onCleanup(() => subscription.close());
    }),
  );

  const counts = createMemo(() => stats.counts(hourNow()));
  const buckets = createMemo(() => stats.buckets(hourNow()));
  // As the first data arrives, the page fills in a task per part: the chart's bars a task after the counts,
  // the panels a task after the recent runs, the jobs a task after the panels (ten rows per task from there).
  const isChartShown = afterTask(stats.isLoaded);
  const arePanelsShown = afterTask(runList.isLoaded);
  const areJobsShown = afterTask(() => arePanelsShown() && jobList.isLoaded());
  // The jobs sit below the activity: their first render is spread over tasks so the page answers meanwhile.
  const jobRows = inSteps(() => (areJobsShown() ? jobList.ids() : []), JOB_ROWS_PER_TASK);

  return (
    <div class="stack">
      <div class="page-head">
        <h1>{t('dashboard.title')}</h1>
        <Link href="/jobs/new" class="button primary">
          {t('nav.newJob')}
        </Link>
      </div>

      <section class="cards" aria-label={t('dashboard.counts')}>
        <div class="count-cards">
          <CountCard status="running" label={t('dashboard.running')} value={stats.isLoaded() ? counts().running : null} />
          <CountCard status="queued" label={t('dashboard.queued')} value={stats.isLoaded() ? counts().queued : null} />
          <CountCard status="failed" within="24h" label={t('dashboard.failed24h')} value={stats.isLoaded() ? counts().failed : null} />
        </div>
        <div class="card chart-card">
          <h2 class="card-title">{t('chart.title')}</h2>
          <RunsChart buckets={isChartShown() ? buckets() : []} />
          <Show when={statsError()}>
            {(error) => (
              <p class="error small" role="alert">
                {errorMessage(error())}
              </p>
            )}
          </Show>
        </div>
      </section>

      <Show when={runList.isLoaded()}>
        <section class="panel" aria-labelledby="runs-title" id="recent-runs">
          <div class="panel-head">
            <h2 id="runs-title" tabindex="-1">
              {within() && status() === 'failed' ? t('dashboard.failedRecently') : t('dashboard.recentRuns')}
            </h2>
            <div class="filters">
              <Show when={status() || within()}>
                <button type="button" class="button small" onClick={() => setQuery({ status: null, within: null })}>
                  {t('dashboard.showAllRuns')}
                </button>
              </Show>
              <label class="field-inline">
                <span>{t('dashboard.status')}</span>
                <select value={status() ?? ''} onChange={(e) => setQuery({ status: e.currentTarget.value, within: null })}>
                  <option value="">{t('dashboard.allStatuses')}</option>
                  <For each={RUN_STATUSES}>{(s) => <option value={s}>{t(`status.${s}`)}</option>}</For>
                </select>
              </label>
            </div>
          </div>
          <RunsTable ids={runList.ids()} now={now()} showJob caption={t('dashboard.recentRuns')} />
          <div class="list-footer">
            <Show when={runList.error()}>
              {(error) => (
                <p class="error" role="alert">
                  {errorMessage(error())}{' '}
                  <button type="button" class="button small" onClick={() => void runList.reload(true)}>
                    {t('common.retry')}
                  </button>
                </p>
              )}
            </Show>
            <Show when={!runList.error() && runList.ids().length === 0}>
              <p class="muted">{t('dashboard.noRuns')}</p>
            </Show>
            <Show when={runList.hasMore()}>
              <Link href={`/runs${status() ? `?status=${status()}` : ''}`} class="button">
                {t('dashboard.everyRun')}
              </Link>
            </Show>
          </div>
        </section>
      </Show>

      {/* Below the runs, and only with them: the runs keep the first place, and nothing above moves when these fill in. */}
      <Show when={arePanelsShown()}>
        <div class="dashboard-panels">
          <QueuePanel />
          <UpcomingPanel />
        </div>
      </Show>

      <Show when={areJobsShown()}>
        <section class="panel jobs-panel" aria-labelledby="jobs-title">
          <div class="panel-head">
            <h2 id="jobs-title">{t('dashboard.jobs')}</h2>
            <div class="filters">
              <label class="field-inline">
                <span>{t('dashboard.search')}</span>
                <input
                  type="search"
                  data-search
                  value={search()}
                  onInput={(e) => onSearchInput(e.currentTarget.value)}
                  placeholder={t('dashboard.searchPlaceholder')}
                />
              </label>
              <label class="field-inline">
                <span>{t('dashboard.type')}</span>
                <select value={type()} onChange={(e) => setQuery({ type: e.currentTarget.value })}>
                  <option value="">{t('dashboard.allTypes')}</option>
                  <For each={jobTypes() ?? []}>{(jt) => <option value={jt.type}>{schemaText(jt.title)}</option>}</For>
                </select>
              </label>
              <label class="field-inline">
                <span>{t('jobs.tags')}</span>
                <input
                  type="text"
                  class="tag-input"
                  value={tagText()}
                  aria-invalid={tagText().trim() !== '' && !TAG_PATTERN.test(tagText().trim())}
                  title={t('jobForm.tagsHint')}
                  onInput={(e) => setTagText(e.currentTarget.value)}
                  onChange={(e) => {
                    const value = e.currentTarget.value.trim();
                    if (value === '' || TAG_PATTERN.test(value)) setQuery({ tag: value });
                  }}
                />
              </label>
            </div>
          </div>
          <div class="table-wrap">
            <table class="table">
              <caption class="visually-hidden">{t('dashboard.jobs')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('jobs.name')}</th>
                  <th scope="col">{t('jobs.type')}</th>
                  <th scope="col">{t('jobs.owner')}</th>
                  <th scope="col">{t('jobs.lastRun')}</th>
                  <th scope="col">{t('jobs.lastRunAt')}</th>
                </tr>
              </thead>
              <tbody>
                <For each={jobRows.shown()}>
                  {(id) => (
                    <Show when={jobs[id]}>
                      {(job) => (
                        <tr data-job-id={id}>
                          <td data-label={t('jobs.name')}>
                            <Link href={`/jobs/${encodeURIComponent(id)}`}>{job().name}</Link>
                            <Show when={!job().enabled}>
                              <span class="tag tag-disabled">{t('jobs.disabled')}</span>
                            </Show>
                            <For each={job().tags}>{(jobTag) => <span class="tag tag-label">{jobTag}</span>}</For>
                            <Show when={job().schedule}>
                              {(schedule) => (
                                <span class="tag" classList={{ 'tag-paused': job().schedulePaused }} title={`${schedule().cron} (${schedule().timezone})`}>
                                  <span aria-hidden="true">{job().schedulePaused ? '‖ ' : '↻ '}</span>
                                  {job().schedulePaused ? t('jobs.schedulePaused') : t('jobs.scheduled')}
                                </span>
                              )}
                            </Show>
                          </td>
                          <td data-label={t('jobs.type')}>{jobTypeTitle(job().type)}</td>
                          <td data-label={t('jobs.owner')}>
                            <Owner id={job().ownerId} name={job().ownerName} />
                          </td>
                          <td data-label={t('jobs.lastRun')}>
                            <Show when={job().lastRun} fallback={<span class="muted">{t('jobs.neverRun')}</span>}>
                              {(run) => (
                                <Link href={`/runs/${encodeURIComponent(run().id)}`} class="plain-link">
                                  <StatusBadge status={run().status} />
                                </Link>
                              )}
                            </Show>
                          </td>
                          <td data-label={t('jobs.lastRunAt')}>
                            <Time iso={job().lastRun?.finishedAt ?? job().lastRun?.startedAt ?? job().lastRun?.queuedAt} />
                          </td>
                        </tr>
                      )}
                    </Show>
                  )}
                </For>
              </tbody>
            </table>
          </div>
          {/* Under the rows once they are all there: it never moves down while they fill in. */}
          <Show when={jobRows.isComplete()}>
            <ListFooter list={jobList} emptyText={q() || type() || tag() ? t('dashboard.noMatchingJobs') : t('dashboard.noJobs')} />
          </Show>
        </section>
      </Show>
    </div>
  );
}

/** A count that filters the recent runs right below it. */
function CountCard(props: { status: RunStatus; within?: '24h'; label: string; value: number | null }) {
  const href = () => `/?status=${props.status}${props.within ? `&within=${props.within}` : ''}`;
  return (
    <a
      href={href()}
      class={`card count-card count-${props.status}`}
      aria-busy={props.value === null ? 'true' : undefined}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        setQuery({ status: props.status, within: props.within ?? null });
        queueMicrotask(() => {
          const section = document.getElementById('recent-runs');
          const box = section?.getBoundingClientRect();
          if (section && box && (box.top < 0 || box.top > window.innerHeight * 0.6)) section.scrollIntoView({ block: 'start' });
          document.getElementById('runs-title')?.focus({ preventScroll: true });
        });
      }}
    >
      <span class="count-value">{props.value === null ? '—' : formatNumber(props.value)}</span>
      <span class="count-text">
        <StatusBadge status={props.status} />
        <span class="count-label">{props.label}</span>
      </span>
    </a>
  );
}
