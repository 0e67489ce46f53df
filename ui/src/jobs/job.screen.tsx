import { createEffect, createMemo, createResource, createSignal, For, lazy, onCleanup, onMount, Show, Suspense } from 'solid-js';
import type { NotificationTargetDto, RunDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { createNow } from '../app/clock';
import { createActionError } from '../app/action-error';
import { errorMessage } from '../app/errors';
import { Link, navigate } from '../app/router';
import { confirmAction } from '../components/confirm';
import { ListFooter } from '../components/list-footer';
import { Owner } from '../components/owner';
import { RunsTable } from '../components/runs-table';
import { Time } from '../components/time';
import { formatBytes, formatList, formatNumber, t } from '../i18n/i18n';
import { useTitle } from '../app/title';
import { isAdmin, user } from '../session/session';
import { jobTypes, jobTypeTitle, loadJobTypes } from '../stores/job-types.store';
import { isJobDeleted, jobs, removeJob, upsertJob } from '../stores/jobs.store';
import { onStoreEvents, storeHandlers } from '../stores/live';
import { createPagedList } from '../stores/paged-list';
import { byQueuedDesc, runs, upsertRun, upsertRuns } from '../stores/runs.store';
import { changeShownJob } from './job-conflict';
import { ScheduleSection } from './schedule-panel';
import { runTrend } from './run-trend';
import { RunTrendChart } from './run-trend-chart';
import { whileBusy } from '../app/busy';

const RunWithParams = lazy(() => import('./run-params'));

/** A job: its definition, live run history, Run now / with changed parameters, edit and delete. */
export default function JobScreen(props: { jobId: string }) {
  const now = createNow(1000);
  const [storage] = createResource(
    () => props.jobId,
    (id) => client.jobs.storage(id).catch(() => null),
  );
  const [loadError, setLoadError] = createSignal<unknown>(null);
  const [actionError, setActionError] = createActionError();
  const [isBusy, setBusy] = createSignal(false);
  const [isCustomizing, setCustomizing] = createSignal(false);
  const [refetches, setRefetches] = createSignal(0);
  const [types] = createResource(() => loadJobTypes());
  const job = () => jobs[props.jobId];
  const canEdit = () => isAdmin() || job()?.ownerId === user()?.id;
  const jobType = () => (types() ?? jobTypes() ?? []).find((jt) => jt.type === job()?.type) ?? null;
  const canChangeParams = () => isAdmin() || jobType()?.adminOnly === false;
  useTitle(() => [job()?.name]);

  const history = createPagedList({
    fetchPage: (cursor, limit) => client.runs.list({ jobId: props.jobId, cursor, limit }),
    store: upsertRuns,
  });

  const loadJob = async () => {
    try {
      upsertJob(await client.jobs.get(props.jobId));
      setLoadError(null);
    } catch (e) {
      setLoadError(e);
    }
  };

  onCleanup(
    onStoreEvents((events) => {
      for (const event of events) {
        if (event.type === 'run' && event.run.jobId === props.jobId) {
          history.insert(event.run.id, (a, b) => {
            const ra = runs[a];
            const rb = runs[b];
            return !!ra && !!rb && byQueuedDesc(ra, rb) < 0;
          });
        }
      }
    }),
  );

  // Live events carry the job without its params: after a change, its own GET brings them (once per version).
  let fetchedFor = '';
  createEffect(() => {
    const j = job();
    if (!j || j.params !== undefined || fetchedFor === j.updatedAt) return;
    fetchedFor = j.updatedAt;
    void loadJob();
  });

  onMount(() => {
    void loadJob();
    void history.reload();
    const subscription = client.subscribe(
      { topic: 'job', jobId: props.jobId },
      {
        ...storeHandlers,
        onRefetch: () => {
          void loadJob();
          void history.reload(true);
          setRefetches((n) => n + 1);
        },
      },
    );
    onCleanup(() => subscription.close());
  });

  const started = (run: RunDto) => {
    upsertRun(run);
    navigate(`/runs/${encodeURIComponent(run.id)}`);
  };

  const runNow = async () => {
    setActionError(null);
    await whileBusy(
      setBusy,
      async () => {
        started(await client.jobs.run(props.jobId));
      },
      (e) => {
        setActionError(e);
      },
    );
  };

  const setEnabled = async (enabled: boolean) => {
    const current = job();
    if (!current) return;
    if (!enabled && !(await confirmAction(t('job.confirmDisable', { name: current.name }), t('job.disable')))) return;
    setActionError(null);
    await whileBusy(
      setBusy,
      async () => {
        const change = await changeShownJob(current, (ifMatch) => client.jobs.update(current.id, { enabled }, { ifMatch }), client.jobs.get);
        upsertJob(change.job);
        if (change.outcome === 'stale') setActionError(change.message);
      },
      (e) => {
        setActionError(e);
      },
    );
  };

  const trend = createMemo(() => runTrend(history.ids().flatMap((id) => (runs[id] ? [runs[id]!] : []))));

  const remove = async () => {
    const current = job();
    if (!current || !(await confirmAction(t('job.confirmDelete', { name: current.name }), t('job.delete')))) return;
    setActionError(null);
    await whileBusy(
      setBusy,
      async () => {
        await client.jobs.delete(props.jobId);
        removeJob(props.jobId);
        navigate('/');
      },
      (e) => {
        setActionError(e);
      },
    );
  };

  return (
    <div class="stack">
      <Show when={isJobDeleted(props.jobId) && !job()}>
        <div class="panel" role="alert">
          <h1>{t('job.deletedTitle')}</h1>
          <p>
            <Link href="/">{t('common.backToDashboard')}</Link>
          </p>
        </div>
      </Show>
      <Show when={loadError() && !job()}>
        <p class="error" role="alert">
          {errorMessage(loadError())}
        </p>
      </Show>
      <Show when={job()}>
        {(j) => (
          <>
            <nav class="crumbs" aria-label={t('nav.breadcrumbs')}>
              <Link href="/">{t('nav.dashboard')}</Link> <span aria-hidden="true">›</span> <span>{j().name}</span>
            </nav>
            <div class="page-head">
              <div>
                <h1>
                  {j().name}
                  <Show when={!j().enabled}>
                    {' '}
                    <span class="tag tag-disabled">{t('jobs.disabled')}</span>
                  </Show>
                </h1>
                <Show when={j().description}>
                  <p class="muted">{j().description}</p>
                </Show>
                <Show when={j().tags.length > 0}>
                  <ul class="tag-list" aria-label={t('jobs.tags')}>
                    <For each={j().tags}>
                      {(tag) => (
                        <li>
                          <Link href={`/runs?tag=${encodeURIComponent(tag)}`} class="tag">
                            {tag}
                          </Link>
                        </li>
                      )}
                    </For>
                  </ul>
                </Show>
              </div>
              <div class="actions">
                <button
                  type="button"
                  class="button primary"
                  disabled={isBusy() || !j().enabled}
                  aria-describedby={j().enabled ? undefined : 'job-disabled-note'}
                  onClick={() => void runNow()}
                >
                  {t('job.runNow')}
                </button>
                <button
                  type="button"
                  class="button"
                  disabled={!canChangeParams() || !jobType() || !j().enabled}
                  aria-describedby={!j().enabled ? 'job-disabled-note' : canChangeParams() ? undefined : 'params-locked'}
                  aria-expanded={isCustomizing()}
                  onClick={() => setCustomizing((v) => !v)}
                >
                  {t('job.runWithParams')}
                </button>
                <Show when={canEdit()}>
                  <button type="button" class="button" disabled={isBusy()} aria-pressed={!j().enabled} onClick={() => void setEnabled(!j().enabled)}>
                    {j().enabled ? t('job.disable') : t('job.enable')}
                  </button>
                  <Link href={`/jobs/${encodeURIComponent(props.jobId)}/edit`} class="button">
                    {t('job.edit')}
                  </Link>
                  <button type="button" class="button danger" disabled={isBusy()} onClick={() => void remove()}>
                    {t('job.delete')}
                  </button>
                </Show>
              </div>
            </div>
            <Show when={!j().enabled}>
              <p class="hint action-note" id="job-disabled-note">
                <span aria-hidden="true">⏸ </span>
                {t('job.disabledNote')}
              </p>
            </Show>
            <Show when={jobType() && !canChangeParams()}>
              <p class="hint action-note" id="params-locked">
                <span aria-hidden="true">🔒 </span>
                {t('job.adminOnlyParams')}
              </p>
            </Show>
            <Show when={actionError()}>
              <p class="error" role="alert">
                {actionError()}
              </p>
            </Show>
            <Show when={isCustomizing() && j().params !== undefined && jobType()}>
              {(jt) => (
                <Suspense fallback={<p class="muted">{t('common.loading')}</p>}>
                  <RunWithParams
                    jobType={jt()}
                    baseline={j().params ?? {}}
                    submitLabel={t('job.startRun')}
                    start={(params) => client.jobs.run(props.jobId, { params })}
                    onStarted={started}
                    onCancel={() => setCustomizing(false)}
                  />
                </Suspense>
              )}
            </Show>
            <section class="panel" aria-labelledby="def-title">
              <h2 id="def-title">{t('job.definition')}</h2>
              <dl class="props">
                <dt>{t('jobs.type')}</dt>
                <dd>{jobTypeTitle(j().type)}</dd>
                <dt>{t('job.enabled')}</dt>
                <dd data-field="enabled">{j().enabled ? t('job.enabled') : t('jobs.disabled')}</dd>
                <dt>{t('jobs.tags')}</dt>
                <dd>{j().tags.length ? j().tags.join(', ') : t('job.noTags')}</dd>
                <dt>{t('jobs.owner')}</dt>
                <dd>
                  <Owner id={j().ownerId} name={j().ownerName} />
                </dd>
                <dt>{t('jobs.timeoutSec')}</dt>
                <dd>{j().timeoutSec === null ? t('job.noTimeout') : t('job.seconds', { n: formatNumber(j().timeoutSec ?? 0) })}</dd>
                <dt>{t('jobs.maxAttempts')}</dt>
                <dd>{j().maxAttempts}</dd>
                <dt>{t('jobs.maxConcurrentRuns')}</dt>
                <dd>{j().maxConcurrentRuns ?? t('job.unlimited')}</dd>
                <dt>{t('jobs.keepRuns')}</dt>
                <dd data-field="keepRuns">{j().keepRuns ?? t('job.keepForever')}</dd>
                <dt>{t('jobs.keepDays')}</dt>
                <dd data-field="keepDays">{j().keepDays ?? t('job.keepForever')}</dd>
                <dt>{t('job.storage')}</dt>
                <dd data-field="storage">
                  <Show when={storage()} fallback="—">
                    {(s) => t('job.storageText', { runs: formatNumber(s().runs), lines: formatNumber(s().lines), size: formatBytes(s().bytes) })}
                  </Show>
                </dd>
                <dt>{t('schedule.title')}</dt>
                <dd>
                  {j().schedule ? (
                    <>
                      <code>{j().schedule?.cron}</code> ({j().schedule?.timezone})
                      <Show when={j().schedulePaused}>
                        <span class="tag">{t('schedule.paused')}</span>
                      </Show>
                    </>
                  ) : (
                    t('job.noSchedule')
                  )}
                </dd>
                <dt>{t('job.notifications')}</dt>
                <dd>
                  <Show when={j().notifications.length > 0} fallback={t('job.noNotifications')}>
                    <ul class="targets">
                      <For each={j().notifications}>{(target) => <TargetSummary target={target} />}</For>
                    </ul>
                  </Show>
                </dd>
                <dt>{t('job.created')}</dt>
                <dd>
                  <Time iso={j().createdAt} mode="absolute" />
                </dd>
                <dt>{t('job.updated')}</dt>
                <dd>
                  <Time iso={j().updatedAt} mode="absolute" />
                </dd>
              </dl>
              <h3>{t('job.params')}</h3>
              <Show when={j().params} fallback={<p class="muted">{t('common.loading')}</p>}>
                {(params) => <ParamsView params={params()} />}
              </Show>
            </section>
            <Show when={j().schedule}>
              <ScheduleSection job={j()} canEdit={canEdit()} refetch={refetches()} />
            </Show>
            <section class="panel" aria-labelledby="trend-title-h">
              <h2 id="trend-title-h">{t('job.trend')}</h2>
              <RunTrendChart trend={trend()} />
            </section>
            <section class="panel" aria-labelledby="history-title">
              <div class="panel-head">
                <h2 id="history-title">{t('job.history')}</h2>
                <Link href={`/runs?jobId=${encodeURIComponent(props.jobId)}`}>{t('job.allRuns')}</Link>
              </div>
              <RunsTable ids={history.ids()} now={now()} caption={t('job.history')} />
              <ListFooter list={history} emptyText={t('job.noRuns')} />
            </section>
          </>
        )}
      </Show>
    </div>
  );
}

/** One notification target: kind, where it goes (secrets masked as the server sent them), and on which events. */
function TargetSummary(props: { target: NotificationTargetDto }) {
  const where = () => (props.target.kind === 'email' ? props.target.to.join(', ') : props.target.url);
  const events = () =>
    formatList(
      props.target.on.map((e) => t(`notify.event.${e}`)),
      'disjunction',
    );
  return (
    <li>
      <strong>{t(`notify.kind.${props.target.kind}`)}</strong> <code class="target-where">{where()}</code>{' '}
      {props.target.kind === 'webhook' && (
        <span class="muted">
          · {t('notify.secret')} <code>{props.target.secret}</code>{' '}
        </span>
      )}
      <span class="muted">{t('job.notifyOn', { events: events() })}</span>
    </li>
  );
}

/** Params as a definition list; nested values as JSON. */
export function ParamsView(props: { params: Record<string, unknown> }) {
  const entries = () => Object.entries(props.params);
  return (
    <Show when={entries().length > 0} fallback={<p class="muted">{t('job.noParams')}</p>}>
      <dl class="props params-view">
        {entries().map(([key, value]) => (
          <>
            <dt>
              <code>{key}</code>
            </dt>
            <dd>
              <pre class="value">{typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</pre>
            </dd>
          </>
        ))}
      </dl>
    </Show>
  );
}
