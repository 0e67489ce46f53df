import { createEffect, createMemo, createSignal, For, on, onCleanup, onMount, Show } from 'solid-js';
import type { JobSummaryDto, ScheduleFireDto, ScheduleNextDto } from '@jobflow/shared/client';
import { announce } from '../app/announce';
import { client } from '../app/client';
import { createNow } from '../app/clock';
import { errorMessage } from '../app/errors';
import { Link } from '../app/router';
import { ListFooter } from '../components/list-footer';
import { StatusBadge } from '../components/status';
import { Time } from '../components/time';
import { formatDateTime, formatDateTimeIn, t } from '../i18n/i18n';
import { upsertJob } from '../stores/jobs.store';
import { onStoreEvents } from '../stores/live';
import { createPagedList } from '../stores/paged-list';
import { runs } from '../stores/runs.store';
import { byDueDesc, fires, upsertFires } from '../stores/schedule-fires.store';
import { localZone } from './job-draft';
import { changeShownJob } from './job-conflict';
import { whileBusy } from '../app/busy';

/** How many due times are shown, and how many are fetched so the list lasts a while on a fast schedule. */
export const NEXT_SHOWN = 5;
const NEXT_FETCHED = 30;
const HEAD_PAGE = 20;

const OUTCOME_ICONS: Record<ScheduleFireDto['outcome'], string> = {
  started: '▶',
  'caught-up': '↺',
  'skipped-overlap': '↷',
  missed: '⚠',
  'paused-owner-disabled': '⏸',
};

/** What became of a due time, as icon + words + colour (never colour alone). */
export function OutcomeBadge(props: { outcome: ScheduleFireDto['outcome'] }) {
  return (
    <span class={`outcome outcome-${props.outcome}`} title={t(`outcome.${props.outcome}.hint`)}>
      <span class="status-icon" aria-hidden="true">
        {OUTCOME_ICONS[props.outcome]}
      </span>
      {t(`outcome.${props.outcome}`)}
    </span>
  );
}

/**
 * A scheduled job's schedule (with pause and resume for its owner or an
 * admin), its next due times in the job's zone and the user's, and the
 * history of its due times, kept current as runs of the job appear.
 */
export function ScheduleSection(props: { job: JobSummaryDto; canEdit: boolean; refetch: number }) {
  const now = createNow(1000);
  const [next, setNext] = createSignal<ScheduleNextDto | null>(null);
  const [nextError, setNextError] = createSignal<unknown>(null);
  const [actionError, setActionError] = createSignal<string | null>(null);
  const [isBusy, setBusy] = createSignal(false);
  const zone = () => props.job.schedule?.timezone ?? 'UTC';
  const myZone = localZone();

  // ---- next due times
  let nextGeneration = 0;
  let lastNextFetch = 0;
  const loadNext = async () => {
    const mine = ++nextGeneration;
    lastNextFetch = Date.now();
    try {
      const answer = await client.jobs.schedule.next(props.job.id, { count: NEXT_FETCHED });
      if (mine !== nextGeneration) return;
      setNext(answer);
      setNextError(null);
    } catch (e) {
      if (mine === nextGeneration) setNextError(e);
    }
  };
  const scheduleKey = () => `${props.job.schedule?.cron}|${props.job.schedule?.timezone}|${props.job.schedulePaused}|${props.job.updatedAt}`;
  createEffect(on(scheduleKey, () => void loadNext()));
  const upcoming = createMemo(() => {
    const at = now();
    return (next()?.items ?? []).filter((item) => Date.parse(item.at) > at).slice(0, NEXT_SHOWN);
  });
  // A fast schedule uses up the fetched due times: fetch more before the list runs short.
  createEffect(() => {
    const answer = next();
    if (!answer || answer.paused || answer.items.length < NEXT_SHOWN) return;
    if (upcoming().length < NEXT_SHOWN && Date.now() - lastNextFetch > 1_000) void loadNext();
  });

  // ---- history
  const history = createPagedList({
    fetchPage: (cursor, limit) => client.jobs.schedule.fires(props.job.id, { cursor, limit: Math.min(limit, HEAD_PAGE) }),
    store: upsertFires,
    pageSize: HEAD_PAGE,
  });
  const runIds = createMemo(
    () =>
      new Set(
        history
          .ids()
          .map((id) => fires[id]?.runId)
          .filter(Boolean),
      ),
  );
  let isHeadLoading = false;
  let isHeadWanted = false;
  let hasLoaded = false;
  /** Fetches the latest due times and puts the new ones on top, keeping what the user paged to. */
  const refreshHead = async () => {
    if (isHeadLoading) {
      isHeadWanted = true;
      return;
    }
    isHeadLoading = true;
    try {
      const page = await client.jobs.schedule.fires(props.job.id, { limit: HEAD_PAGE });
      upsertFires(page.items);
      for (const fire of [...page.items].reverse()) {
        if (history.has(fire.id)) continue;
        history.insert(fire.id, (a, b) => {
          const fa = fires[a];
          const fb = fires[b];
          return !!fa && !!fb && byDueDesc(fa, fb) < 0;
        });
        if (hasLoaded && (fire.outcome === 'skipped-overlap' || fire.outcome === 'missed')) {
          announce(t('schedule.announce', { job: props.job.name, time: formatDateTime(fire.dueAt), outcome: t(`outcome.${fire.outcome}`) }));
        }
      }
    } catch {
      // the next run event or due time tries again; a reload shows the error
    } finally {
      isHeadLoading = false;
      if (isHeadWanted) {
        isHeadWanted = false;
        void refreshHead();
      }
    }
  };

  onMount(() => {
    void history.reload().then(() => (hasLoaded = true));
  });

  // A run started by the schedule that is not in the list yet: its due time is new.
  onCleanup(
    onStoreEvents((events) => {
      for (const event of events) {
        if (event.type === 'run' && event.run.jobId === props.job.id && event.run.trigger.kind === 'schedule' && !runIds().has(event.run.id)) {
          void refreshHead();
          return;
        }
        // Due times recorded without a run (skipped, missed) are announced by the scheduler.
        if (event.type === 'schedule' && event.jobId === props.job.id) {
          void refreshHead();
          return;
        }
      }
    }),
  );

  // Resync or reconnect: refetch what is shown.
  createEffect(
    on(
      () => props.refetch,
      () => {
        void loadNext();
        void history.reload(true);
      },
      { defer: true },
    ),
  );

  const setPaused = async (isPaused: boolean) => {
    setActionError(null);
    await whileBusy(
      setBusy,
      async () => {
        const change = await changeShownJob(
          props.job,
          (ifMatch) => (isPaused ? client.jobs.schedule.pause : client.jobs.schedule.resume)(props.job.id, { ifMatch }),
          client.jobs.get,
        );
        upsertJob(change.job);
        if (change.outcome === 'stale') setActionError(change.message);
        else announce(t(isPaused ? 'schedule.pausedAnnounce' : 'schedule.resumedAnnounce', { job: change.job.name }));
      },
      (e) => {
        setActionError(errorMessage(e));
      },
    );
  };

  const fireStatus = (fire: ScheduleFireDto) => (fire.runId ? (runs[fire.runId]?.status ?? fire.runStatus) : null);

  return (
    <>
      <section class="panel schedule-panel" aria-labelledby="schedule-title">
        <div class="panel-head">
          <h2 id="schedule-title">{t('schedule.title')}</h2>
          <Show when={props.canEdit}>
            <Show
              when={props.job.schedulePaused}
              fallback={
                <button type="button" class="button" disabled={isBusy()} onClick={() => void setPaused(true)}>
                  <span aria-hidden="true">‖</span> {t('schedule.pause')}
                </button>
              }
            >
              <button type="button" class="button primary" disabled={isBusy()} onClick={() => void setPaused(false)}>
                <span aria-hidden="true">▶</span> {t('schedule.resume')}
              </button>
            </Show>
          </Show>
        </div>
        <Show when={actionError()}>
          <p class="error" role="alert">
            {actionError()}
          </p>
        </Show>
        <div class="schedule-grid">
          <dl class="props">
            <dt>{t('schedule.state')}</dt>
            <dd>
              <span class={`schedule-state ${props.job.schedulePaused ? 'is-paused' : 'is-active'}`}>
                <span aria-hidden="true">{props.job.schedulePaused ? '‖' : '●'}</span> {props.job.schedulePaused ? t('schedule.paused') : t('schedule.active')}
              </span>
            </dd>
            <dt>{t('schedule.cron')}</dt>
            <dd>
              <code>{props.job.schedule?.cron}</code>
            </dd>
            <dt>{t('schedule.zone')}</dt>
            <dd>{zone()}</dd>
            <dt>{t('schedule.overlapShort')}</dt>
            <dd>{t(`schedule.overlap.${props.job.schedulePolicy.overlap}`)}</dd>
            <dt>{t('schedule.missedShort')}</dt>
            <dd>{t(`schedule.missed.${props.job.schedulePolicy.missed}`)}</dd>
          </dl>
          <div>
            <h3 id="next-title">{t('schedule.next')}</h3>
            <Show when={nextError()}>
              <p class="error small" role="alert">
                {errorMessage(nextError())}
              </p>
            </Show>
            <Show
              when={!props.job.schedulePaused}
              fallback={
                <p class="warning paused-notice">
                  <span aria-hidden="true">‖ </span>
                  {t('schedule.pausedNotice')}
                </p>
              }
            >
              <Show when={next()} fallback={<p class="muted">{t('common.loading')}</p>}>
                <Show when={upcoming().length > 0} fallback={<p class="muted">{t('schedule.noNext')}</p>}>
                  <div class="table-wrap">
                    <table class="table next-table" aria-labelledby="next-title">
                      <thead>
                        <tr>
                          <th scope="col">{t('schedule.nextInZone', { zone: zone() })}</th>
                          <th scope="col">{t('schedule.nextLocal', { zone: myZone })}</th>
                        </tr>
                      </thead>
                      <tbody>
                        <For each={upcoming()}>
                          {(item) => (
                            <tr data-due-at={item.at}>
                              <td>
                                <time datetime={item.local} title={item.local}>
                                  {formatDateTimeIn(item.at, zone())}
                                </time>
                              </td>
                              <td>
                                <time datetime={item.at} title={item.at}>
                                  {formatDateTime(item.at)}
                                </time>
                              </td>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    </table>
                  </div>
                </Show>
              </Show>
            </Show>
          </div>
        </div>
      </section>

      <section class="panel" aria-labelledby="fires-title">
        <h2 id="fires-title">{t('schedule.history')}</h2>
        <div class="table-wrap">
          <table class="table fires-table">
            <caption class="visually-hidden">{t('schedule.history')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('schedule.dueAt')}</th>
                <th scope="col">{t('schedule.outcome')}</th>
                <th scope="col">{t('schedule.run')}</th>
              </tr>
            </thead>
            <tbody>
              <For each={history.ids()}>
                {(id) => (
                  <Show when={fires[id]}>
                    {(fire) => (
                      <tr data-fire-id={id} data-outcome={fire().outcome}>
                        <td>
                          <Time iso={fire().dueAt} mode="absolute" />
                          <Show when={zone() !== myZone}>
                            <span class="muted small due-in-zone">{formatDateTimeIn(fire().dueAt, zone())}</span>
                          </Show>
                        </td>
                        <td>
                          <OutcomeBadge outcome={fire().outcome} />
                        </td>
                        <td>
                          <Show when={fire().runId} fallback={<span class="muted">{t('schedule.noRun')}</span>}>
                            {(runId) => (
                              <span class="fire-run">
                                <Link href={`/runs/${encodeURIComponent(runId())}`} class="mono">
                                  {t('runs.runLink', { id: runId().slice(0, 8) })}
                                </Link>
                                <Show when={fireStatus(fire())}>{(status) => <StatusBadge status={status()} />}</Show>
                              </span>
                            )}
                          </Show>
                        </td>
                      </tr>
                    )}
                  </Show>
                )}
              </For>
            </tbody>
          </table>
        </div>
        <ListFooter list={history} emptyText={t('schedule.noHistory')} />
      </section>
    </>
  );
}
