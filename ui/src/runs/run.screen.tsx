import { batch, createEffect, createMemo, createResource, createSignal, For, lazy, on, onCleanup, onMount, Show, Suspense } from 'solid-js';
import { isFinalStatus, type FollowEvent, type LogLineDto, type RunAttemptDto, type RunDto } from '@jobflow/shared/client';
import { announce } from '../app/announce';
import { client } from '../app/client';
import { createNow } from '../app/clock';
import { createActionError } from '../app/action-error';
import { errorMessage } from '../app/errors';
import { createFrameQueue } from '../app/frame-queue';
import { Link, navigate } from '../app/router';
import { confirmAction } from '../components/confirm';
import { StartedBy } from '../components/started-by';
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
import { RunArtifacts } from './run-artifacts';
import { systemText } from './system-text';
import { whileBusy } from '../app/busy';

const RunWithParams = lazy(() => import('../jobs/run-params'));

/** A run: status, timeline, attempts, progress, result or error, actions, and its live log. */
export default function RunScreen(props: { runId: string }) {
  const now = createNow(1000);
  const model = createLogModel();
  const [failure, setFailure] = createSignal<unknown>(null);
  const [isEnded, setEnded] = createSignal(false);
  const [actionError, setActionError] = createActionError();
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
    const r = run();
    if (!r || !(await confirmAction(t('run.confirmCancel', { job: r.jobName }), t('run.cancelConfirm'), true, t('run.keepRunning')))) return;
    setActionError(null);
    await whileBusy(
      setBusy,
      async () => {
        upsertRun(await client.runs.cancel(props.runId));
      },
      (e) => {
        setActionError(e);
      },
    );
  };
  const started = (next: RunDto) => {
    upsertRun(next);
    navigate(`/runs/${encodeURIComponent(next.id)}`);
  };
  const rerun = async () => {
    setActionError(null);
    await whileBusy(
      setBusy,
      async () => {
        started(await client.runs.rerun(props.runId));
      },
      (e) => {
        setActionError(e);
      },
    );
  };

  // Each attempt as stored: fetched again whenever the run moves to another attempt or state.
  const [attempts, setAttempts] = createSignal<RunAttemptDto[]>([]);
  let attemptsGeneration = 0;
  createEffect(
    on(
      () => {
        const r = run();
        return r ? `${r.attempt}:${r.status}` : null;
      },
      (key) => {
        if (!key || (key.startsWith('1:') && key.endsWith(':queued'))) return;
        const mine = ++attemptsGeneration;
        client.runs.attempts(props.runId).then(
          (list) => mine === attemptsGeneration && setAttempts(list),
          () => undefined,
        );
      },
    ),
  );
  const retryInSec = () => {
    const at = run()?.retryAt;
    return at ? Math.max(0, Math.ceil((Date.parse(at) - now()) / 1000)) : null;
  };

  const timeline = createMemo(() => {
    const r = run();
    if (!r) return [];
    const items: { ts: string; label: string; kind: string }[] = [{ ts: r.queuedAt, label: t('timeline.queued'), kind: 'queued' }];
    const system = model.systemLines();
    const shown = system.length > 60 ? [...system.slice(0, 30), ...system.slice(-30)] : system;
    for (const line of shown) items.push({ ts: line.ts, label: systemText(line.text), kind: 'system' });
    for (const a of attempts()) items.push({ ts: a.startedAt, label: t('timeline.attemptStarted', { n: a.attempt }), kind: 'running' });
    if (!attempts().length && r.startedAt) items.push({ ts: r.startedAt, label: t('timeline.attemptStarted', { n: 1 }), kind: 'running' });
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
            <Show when={isCustomizing() && r().params !== undefined && jobType()}>
              {(jt) => (
                <Suspense fallback={<p class="muted">{t('common.loading')}</p>}>
                  <RunWithParams
                    jobType={jt()}
                    baseline={r().params ?? {}}
                    submitLabel={t('run.rerun')}
                    start={(params) => client.runs.rerun(props.runId, { params })}
                    onStarted={started}
                    onCancel={() => setCustomizing(false)}
                  />
                </Suspense>
              )}
            </Show>

            <div class="run-grid">
              <section class="panel run-details" aria-labelledby="run-state-title">
                <h2 id="run-state-title" class="visually-hidden">
                  {t('run.details')}
                </h2>
                <dl class="props">
                  <dt>{t('run.attempt')}</dt>
                  <dd>
                    {t('run.attemptOf', { n: r().attempt, m: r().maxAttempts })}
                    <Show when={r().status === 'queued' && retryInSec() !== null}>
                      <span class="retry-wait">
                        {' · '}
                        {retryInSec() === 0 ? t('run.retryingNow') : t('run.retryingIn', { n: retryInSec() ?? 0 })}
                      </span>
                    </Show>
                  </dd>
                  <dt>{t('runs.duration')}</dt>
                  <dd class="mono">{duration() === null ? '—' : formatDuration(duration() ?? 0)}</dd>
                  <dt>{t('run.queuedAt')}</dt>
                  <dd>
                    <Time iso={r().queuedAt} mode="absolute" />
                  </dd>
                  <Show when={r().finishedAt}>
                    <dt>{t('run.finishedAt')}</dt>
                    <dd>
                      <Time iso={r().finishedAt} mode="absolute" />
                    </dd>
                  </Show>
                  <Show when={r().trigger.userId}>
                    <dt>{t('runs.startedBy')}</dt>
                    <dd>
                      <StartedBy trigger={r().trigger} />
                    </dd>
                  </Show>
                  <dt>{t('runs.trigger')}</dt>
                  <dd>
                    {t(`trigger.${r().trigger.kind}`)}
                    <Show when={r().paramsChanged}>
                      {' '}
                      <span class="tag tag-changed" title={t('runs.paramsChangedHint')}>
                        <span aria-hidden="true">✎ </span>
                        {t('runs.paramsChanged')}
                      </span>
                    </Show>
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
                <Show when={r().status === 'failed' && r().error}>
                  {(error) => (
                    <div class="run-error" role="note">
                      <strong>{t('run.error')}</strong> <code>{error().code}</code>
                      <p>{error().message}</p>
                    </div>
                  )}
                </Show>
                <Show when={r().status === 'cancelled' && r().error}>
                  {(error) => (
                    <p class="run-note" role="note">
                      <span aria-hidden="true">⊘ </span>
                      {systemText(error().message)}
                    </p>
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
                <Show when={r().params}>
                  {(params) => (
                    <details>
                      <summary>{t('job.params')}</summary>
                      <pre class="value">{JSON.stringify(params(), null, 2)}</pre>
                    </details>
                  )}
                </Show>
              </section>
              <section class="panel" aria-labelledby="timeline-title">
                <h2 id="timeline-title">{t('run.timeline')}</h2>
                <ol class="timeline">
                  <For each={timeline()}>
                    {(item) => (
                      <li class={`tl-${item.kind}`}>
                        <span class="tl-time">
                          <Time iso={item.ts} mode="time" />
                        </span>
                        <span class="tl-label">{item.label}</span>
                      </li>
                    )}
                  </For>
                </ol>
              </section>
            </div>

            <Show when={attempts().length > 1 || r().maxAttempts > 1}>
              <AttemptsTable attempts={attempts()} now={now()} />
            </Show>

            <RunArtifacts runId={props.runId} />

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

const OUTCOME_STATUS = { succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled', retried: 'failed' } as const;

/** One row per attempt: where and when it ran, how long, how it ended. */
function AttemptsTable(props: { attempts: RunAttemptDto[]; now: number }) {
  return (
    <section class="panel" aria-labelledby="attempts-title">
      <h2 id="attempts-title">{t('run.attempts')}</h2>
      <div class="table-wrap">
        <table class="table attempts">
          <caption class="visually-hidden">{t('run.attempts')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('run.attempt')}</th>
              <th scope="col">{t('run.startedAt')}</th>
              <th scope="col">{t('run.endedAt')}</th>
              <th scope="col" class="num">
                {t('runs.duration')}
              </th>
              <th scope="col">{t('run.outcome')}</th>
              <th scope="col">{t('run.worker')}</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.attempts}>
              {(a) => (
                <tr data-attempt={a.attempt}>
                  <td data-label={t('run.attempt')}>{a.attempt}</td>
                  <td data-label={t('run.startedAt')}>
                    <Time iso={a.startedAt} mode="time" />
                  </td>
                  <td data-label={t('run.endedAt')}>
                    <Time iso={a.finishedAt} mode="time" />
                  </td>
                  <td class="num" data-label={t('runs.duration')}>
                    {formatDuration((a.finishedAt ? Date.parse(a.finishedAt) : props.now) - Date.parse(a.startedAt))}
                  </td>
                  <td data-label={t('run.outcome')}>
                    <Show when={a.outcome} fallback={<StatusBadge status="running" />}>
                      {(outcome) => (
                        <>
                          <StatusBadge status={OUTCOME_STATUS[outcome()]} />
                          <Show when={outcome() === 'retried'}>
                            <span class="muted"> {t('run.retried')}</span>
                          </Show>
                        </>
                      )}
                    </Show>
                    <Show when={a.error}>
                      {(error) => (
                        <span class="attempt-error">
                          <code>{error().code}</code> {error().message}
                        </span>
                      )}
                    </Show>
                  </td>
                  <td data-label={t('run.worker')} class="mono small" title={a.workerId ?? undefined}>
                    {a.workerName ?? a.workerId ?? '—'}
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </section>
  );
}
