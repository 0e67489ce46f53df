import { createEffect, createMemo, createSignal, For, on, onCleanup, onMount, Show } from 'solid-js';
import { RUN_STATUSES, type RunStatus } from '@jobflow/shared/client';
import { client } from '../app/client';
import { createNow } from '../app/clock';
import { errorMessage } from '../app/errors';
import { Link, location, setQuery } from '../app/router';
import { ListFooter } from '../components/list-footer';
import { Owner } from '../components/owner';
import { RunsTable } from '../components/runs-table';
import { StatusBadge } from '../components/status';
import { Time } from '../components/time';
import { formatNumber, t } from '../i18n/i18n';
import { useTitle } from '../app/title';
import { jobTypes, jobTypeTitle, loadJobTypes } from '../stores/job-types.store';
import { jobs, upsertJobs } from '../stores/jobs.store';
import { onStoreEvents, storeHandlers } from '../stores/live';
import { createPagedList } from '../stores/paged-list';
import { byQueuedDesc, runs, upsertRuns } from '../stores/runs.store';
import { RunsChart } from './runs-chart';
import { createRunStats, WINDOW_HOURS } from './run-stats';

const isStatus = (value: string | null): value is RunStatus => value !== null && (RUN_STATUSES as readonly string[]).includes(value);

/** The shared screen: counts, chart, jobs and recent runs, all live. */
export default function DashboardScreen() {
  useTitle(() => [t('dashboard.title')]);
  const now = createNow(1000);
  const hourNow = createNow(60_000);
  const q = createMemo(() => location().query.get('q') ?? '');
  const type = createMemo(() => location().query.get('type') ?? '');
  const status = createMemo((): RunStatus | null => {
    const value = location().query.get('status');
    return isStatus(value) ? value : null;
  });
  const [search, setSearch] = createSignal(q());

  const jobList = createPagedList({
    fetchPage: (cursor, limit) => client.jobs.list({ q: q() || undefined, type: type() || undefined, cursor, limit }),
    store: upsertJobs,
  });
  const runList = createPagedList({
    fetchPage: (cursor, limit) => client.runs.list({ status: status() ?? undefined, cursor, limit }),
    store: upsertRuns,
  });
  const [statsError, setStatsError] = createSignal<unknown>(null);
  const stats = createRunStats({
    fetchStats: () => client.runs.stats({ hours: WINDOW_HOURS }),
    stored: (id) => runs[id],
    onRefetchError: setStatsError,
  });
  onCleanup(() => stats.dispose());
  const loadStats = (hasMissedEvents = false) => stats.load(hasMissedEvents).then(() => setStatsError(null), setStatsError);

  createEffect(on([q, type], () => void jobList.reload(), { defer: false }));
  createEffect(on(status, () => void runList.reload(), { defer: false }));

  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  const onSearchInput = (value: string) => {
    setSearch(value);
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setQuery({ q: value.trim() }), 250);
  };
  onCleanup(() => clearTimeout(searchTimer));

  const matchesJob = (name: string, jobType: string) => (!q() || name.toLowerCase().includes(q().toLowerCase())) && (!type() || jobType === type());

  onCleanup(
    onStoreEvents((events) => {
      for (const event of events) {
        if (event.type === 'job-deleted') jobList.remove(event.id);
        else if (event.type === 'job') {
          if (!jobList.has(event.job.id) && matchesJob(event.job.name, event.job.type)) {
            jobList.insert(event.job.id, (a, b) => (jobs[a]?.createdAt ?? '') > (jobs[b]?.createdAt ?? ''));
          }
        } else if (event.type === 'run') {
          const wanted = status();
          if (!runList.has(event.run.id) && (!wanted || event.run.status === wanted)) {
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

  onMount(() => {
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
  });

  const counts = createMemo(() => stats.counts(hourNow()));
  const buckets = createMemo(() => stats.buckets(hourNow()));

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
          <CountCard status="failed" label={t('dashboard.failed24h')} value={stats.isLoaded() ? counts().failed : null} />
        </div>
        <div class="card chart-card">
          <h2 class="card-title">{t('chart.title')}</h2>
          <RunsChart buckets={buckets()} />
          <Show when={statsError()}>
            {(error) => (
              <p class="error small" role="alert">
                {errorMessage(error())}
              </p>
            )}
          </Show>
        </div>
      </section>

      <section class="panel" aria-labelledby="jobs-title">
        <div class="panel-head">
          <h2 id="jobs-title">{t('dashboard.jobs')}</h2>
          <div class="filters">
            <label class="field-inline">
              <span>{t('dashboard.search')}</span>
              <input type="search" value={search()} onInput={(e) => onSearchInput(e.currentTarget.value)} placeholder={t('dashboard.searchPlaceholder')} />
            </label>
            <label class="field-inline">
              <span>{t('dashboard.type')}</span>
              <select value={type()} onChange={(e) => setQuery({ type: e.currentTarget.value })}>
                <option value="">{t('dashboard.allTypes')}</option>
                <For each={jobTypes() ?? []}>{(jt) => <option value={jt.type}>{jt.title}</option>}</For>
              </select>
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
              <For each={jobList.ids()}>
                {(id) => (
                  <Show when={jobs[id]}>
                    {(job) => (
                      <tr data-job-id={id}>
                        <td>
                          <Link href={`/jobs/${encodeURIComponent(id)}`}>{job().name}</Link>
                          <Show when={job().schedule}>
                            {(schedule) => (
                              <span class="tag" classList={{ 'tag-paused': job().schedulePaused }} title={`${schedule().cron} (${schedule().timezone})`}>
                                <span aria-hidden="true">{job().schedulePaused ? '‖ ' : '↻ '}</span>
                                {job().schedulePaused ? t('jobs.schedulePaused') : t('jobs.scheduled')}
                              </span>
                            )}
                          </Show>
                        </td>
                        <td>{jobTypeTitle(job().type)}</td>
                        <td>
                          <Owner id={job().ownerId} name={job().ownerName} />
                        </td>
                        <td>
                          <Show when={job().lastRun} fallback={<span class="muted">{t('jobs.neverRun')}</span>}>
                            {(run) => (
                              <Link href={`/runs/${encodeURIComponent(run().id)}`} class="plain-link">
                                <StatusBadge status={run().status} />
                              </Link>
                            )}
                          </Show>
                        </td>
                        <td>
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
        <ListFooter list={jobList} emptyText={q() || type() ? t('dashboard.noMatchingJobs') : t('dashboard.noJobs')} />
      </section>

      <section class="panel" aria-labelledby="runs-title">
        <div class="panel-head">
          <h2 id="runs-title">{t('dashboard.recentRuns')}</h2>
          <div class="filters">
            <label class="field-inline">
              <span>{t('dashboard.status')}</span>
              <select value={status() ?? ''} onChange={(e) => setQuery({ status: e.currentTarget.value })}>
                <option value="">{t('dashboard.allStatuses')}</option>
                <For each={RUN_STATUSES}>{(s) => <option value={s}>{t(`status.${s}`)}</option>}</For>
              </select>
            </label>
          </div>
        </div>
        <RunsTable ids={runList.ids()} now={now()} showJob caption={t('dashboard.recentRuns')} />
        <ListFooter list={runList} emptyText={t('dashboard.noRuns')} />
      </section>
    </div>
  );
}

function CountCard(props: { status: RunStatus; label: string; value: number | null }) {
  return (
    <Link href={`/?status=${props.status}`} class={`card count-card count-${props.status}`} aria-busy={props.value === null ? 'true' : undefined}>
      <span class="count-value">{props.value === null ? '—' : formatNumber(props.value)}</span>
      <span class="count-text">
        <StatusBadge status={props.status} />
        <span class="count-label">{props.label}</span>
      </span>
    </Link>
  );
}
