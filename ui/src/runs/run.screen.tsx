import { batch, createMemo, createResource, createSignal, For, lazy, onCleanup, onMount, Show, Suspense } from 'solid-js';
import { isFinalStatus, type FollowEvent, type LogLineDto, type RunDto } from '@jobflow/shared/client';
import { announce } from '../app/announce';
import { client } from '../app/client';
import { createNow } from '../app/clock';
import { errorMessage } from '../app/errors';
import { createFrameQueue } from '../app/frame-queue';
import { Link, navigate } from '../app/router';
import { StatusBadge } from '../components/status';
import { Time } from '../components/time';
import { formatDuration, t } from '../i18n/i18n';
import { useTitle } from '../app/title';
import { isAdmin, user } from '../session/session';
import { loadJobTypes } from '../stores/job-types.store';
import { jobs, noteRunOfJob, upsertJob } from '../stores/jobs.store';
import { runs, upsertRun } from '../stores/runs.store';
import { createLogModel } from './log-model';
import { LogViewer } from './log-viewer';

const RunWithParams = lazy(() => import('../jobs/run-params'));

/** A run: status, timeline, attempts, progress, result or error, actions, and its live log. */
export default function RunScreen(props: { runId: string }) {
  const now = createNow(1000);
  const model = createLogModel();
  const [failure, setFailure] = createSignal<unknown>(null);
  const [isEnded, setEnded] = createSignal(false);
  const [actionError, setActionError] = createSignal<string | null>(null);
  const [isBusy, setBusy] = createSignal(false);
  const [isCustomizing, setCustomizing] = createSignal(false);
  const [types] = createResource(() => loadJobTypes());
  const run = () => runs[props.runId];
  const job = () => {
    const r = run();
    return r ? jobs[r.jobId] : undefined;
  };
  const jobType = () => (types() ?? []).find((jt) => jt.type === job()?.type) ?? null;
  let announcedStatus: string | null = null;

  const queue = createFrameQueue<FollowEvent>((events) =>
    batch(() => {
      const lines: LogLineDto[] = [];
      let latest: RunDto | null = null;
      for (const event of events) {
        if (event.type === 'log') lines.push(event.line);
        else latest = event.run;
      }
      model.append(lines);
      if (latest) {
        upsertRun(latest);
        noteRunOfJob(latest);
        const shown = runs[props.runId];
        if (shown && shown.status !== announcedStatus) {
          if (announcedStatus !== null) announce(t('run.announce', { job: shown.jobName, status: t(`status.${shown.status}`) }));
          announcedStatus = shown.status;
        }
      }
    }),
  );

  onMount(() => {
    const follow = client.followRun(props.runId);
    void (async () => {
      try {
        for await (const event of follow) queue.push(event);
      } catch (e) {
        setFailure(e);
      } finally {
        queue.flushNow();
        setEnded(true);
      }
    })();
    onCleanup(() => follow.close());
  });

  // The job (for permissions and its type) may not be in the store yet.
  createResource(
    () => run()?.jobId,
    async (jobId) => {
      if (!jobs[jobId]) upsertJob(await client.jobs.get(jobId));
      return true;
    },
  );

  const isFinal = () => {
    const r = run();
    return r ? isFinalStatus(r.status) : false;
  };
  const canCancel = () => {
    const r = run();
    if (!r || isFinal()) return false;
    const me = user()?.id;
    const j = job();
    return isAdmin() || r.trigger.userId === me || !j || j.ownerId === me;
  };
  const canChangeParams = () => isAdmin() || jobType()?.adminOnly === false;
  useTitle(() => {
    const r = run();
    return r ? [t(`status.${r.status}`), r.jobName, t('runs.runLink', { id: r.id.slice(0, 8) })] : [];
  });

  const duration = () => {
    const r = run();
    if (!r) return null;
    if (r.durationMs !== null) return r.durationMs;
    if (r.startedAt && r.status === 'running') return now() - Date.parse(r.startedAt);
    return null;
  };

  const cancel = async () => {
    setBusy(true);
    setActionError(null);
    try {
      upsertRun(await client.runs.cancel(props.runId));
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const started = (next: RunDto) => {
    upsertRun(next);
    navigate(`/runs/${encodeURIComponent(next.id)}`);
  };
  const rerun = async () => {
    setBusy(true);
    setActionError(null);
    try {
      started(await client.runs.rerun(props.runId));
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const timeline = createMemo(() => {
    const r = run();
    if (!r) return [];
    const items: { ts: string; label: string; kind: string }[] = [{ ts: r.queuedAt, label: t('timeline.queued'), kind: 'queued' }];
    const system = model.systemLines();
    const shown = system.length > 60 ? [...system.slice(0, 30), ...system.slice(-30)] : system;
    for (const line of shown) items.push({ ts: line.ts, label: line.text, kind: 'system' });
    if (r.startedAt)
      items.push({ ts: r.startedAt, label: r.attempt > 1 ? t('timeline.startedAttempt', { n: r.attempt }) : t('timeline.started'), kind: 'running' });
    if (r.finishedAt) items.push({ ts: r.finishedAt, label: t(`status.${r.status}`), kind: r.status });
    return items.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  });

  return (
    <div class="stack">
      <Show when={failure() && !run()}>
        <div class="panel" role="alert">
          <h1>{t('run.notAvailable')}</h1>
          <p class="error">{errorMessage(failure())}</p>
          <Link href="/">{t('common.backToDashboard')}</Link>
        </div>
      </Show>
      <Show when={!run() && !failure()}>
        <p class="muted">{t('common.loading')}</p>
      </Show>
      <Show when={run()}>
        {(r) => (
          <>
            <nav class="crumbs" aria-label={t('nav.breadcrumbs')}>
              <Link href="/">{t('nav.dashboard')}</Link> <span aria-hidden="true">›</span>{' '}
              <Link href={`/jobs/${encodeURIComponent(r().jobId)}`}>{r().jobName}</Link> <span aria-hidden="true">›</span>{' '}
              <span>{t('runs.runLink', { id: r().id.slice(0, 8) })}</span>
            </nav>
            <div class="page-head">
              <div>
                <h1 class="run-title">
                  <span>{r().jobName}</span> <StatusBadge status={r().status} large />
                </h1>
                <p class="muted mono small" title={r().id}>
                  {t('run.id')}: {r().id}
                </p>
              </div>
              <div class="actions">
                <Show when={canCancel()}>
                  <button type="button" class="button danger" disabled={isBusy()} onClick={() => void cancel()}>
                    {t('run.cancel')}
                  </button>
                </Show>
                <button type="button" class="button primary" disabled={isBusy()} onClick={() => void rerun()}>
                  {t('run.rerun')}
                </button>
                <button
                  type="button"
                  class="button"
                  disabled={!canChangeParams() || !jobType()}
                  aria-describedby={canChangeParams() ? undefined : 'params-locked'}
                  aria-expanded={isCustomizing()}
                  onClick={() => setCustomizing((v) => !v)}
                >
                  {t('run.rerunWithParams')}
                </button>
              </div>
            </div>
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
            <Show when={isCustomizing() && jobType()}>
              {(jt) => (
                <Suspense fallback={<p class="muted">{t('common.loading')}</p>}>
                  <RunWithParams
                    jobType={jt()}
                    baseline={r().params}
                    submitLabel={t('run.rerun')}
                    start={(params) => client.runs.rerun(props.runId, { params })}
                    onStarted={started}
                    onCancel={() => setCustomizing(false)}
                  />
                </Suspense>
              )}
            </Show>

            <div class="run-grid">
              <section class="panel" aria-labelledby="run-state-title">
                <h2 id="run-state-title" class="visually-hidden">
                  {t('run.details')}
                </h2>
                <dl class="props">
                  <dt>{t('run.attempt')}</dt>
                  <dd>{t('run.attemptOf', { n: r().attempt, m: r().maxAttempts })}</dd>
                  <dt>{t('runs.duration')}</dt>
                  <dd class="mono">{duration() === null ? '—' : formatDuration(duration() ?? 0)}</dd>
                  <dt>{t('runs.trigger')}</dt>
                  <dd>
                    {t(`trigger.${r().trigger.kind}`)}
                    <Show when={r().trigger.rerunOf}>
                      {(of) => (
                        <>
                          {' · '}
                          <Link href={`/runs/${encodeURIComponent(of())}`}>{t('run.rerunOf', { id: of().slice(0, 8) })}</Link>
                        </>
                      )}
                    </Show>
                  </dd>
                  <Show when={r().timeoutSec !== null}>
                    <dt>{t('jobs.timeoutSec')}</dt>
                    <dd>{t('job.seconds', { n: r().timeoutSec ?? 0 })}</dd>
                  </Show>
                </dl>
                <Show when={r().progress !== null && !isFinal()}>
                  <div class="progress">
                    <label for="run-progress">{t('runs.progress')}</label>
                    <progress id="run-progress" max={1} value={r().progress ?? 0} />
                    <span class="mono">{Math.round((r().progress ?? 0) * 100)}%</span>
                  </div>
                </Show>
                <Show when={r().error}>
                  {(error) => (
                    <div class="run-error" role="note">
                      <strong>{t('run.error')}</strong> <code>{error().code}</code>
                      <p>{error().message}</p>
                    </div>
                  )}
                </Show>
                <Show when={r().result}>
                  {(result) => (
                    <div>
                      <h3>{t('run.result')}</h3>
                      <pre class="value">{JSON.stringify(result(), null, 2)}</pre>
                    </div>
                  )}
                </Show>
                <details>
                  <summary>{t('job.params')}</summary>
                  <pre class="value">{JSON.stringify(r().params, null, 2)}</pre>
                </details>
              </section>
              <section class="panel" aria-labelledby="timeline-title">
                <h2 id="timeline-title">{t('run.timeline')}</h2>
                <ol class="timeline">
                  <For each={timeline()}>
                    {(item) => (
                      <li class={`tl-${item.kind}`}>
                        <span class="tl-time">
                          <Time iso={item.ts} timeOnly />
                        </span>
                        <span class="tl-label">{item.label}</span>
                      </li>
                    )}
                  </For>
                </ol>
              </section>
            </div>

            <LogViewer runId={props.runId} model={model} isLive={!isEnded()} />
            <Show when={failure()}>
              <p class="error" role="alert">
                {errorMessage(failure())}
              </p>
            </Show>
          </>
        )}
      </Show>
    </div>
  );
}
