import { createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import type { WorkerDto } from '@jobflow/shared/client';
import { announce } from '../app/announce';
import { whileBusy } from '../app/busy';
import { client } from '../app/client';
import { errorMessage } from '../app/errors';
import { Link } from '../app/router';
import { useTitle } from '../app/title';
import { confirmAction } from '../components/confirm';
import { Time } from '../components/time';
import { formatNumber, t } from '../i18n/i18n';
import { isAdmin } from '../session/session';
import { loadWorkers, upsertWorker, workerIds, workers } from '../stores/workers.store';
import { WorkerStateBadge } from './worker-state';

/** Every worker process, live through `worker:updated`; admins drain and resume them. */
export default function WorkersScreen() {
  useTitle(() => [t('workers.title')]);
  const [error, setError] = createSignal<unknown>(null);
  const [isLoaded, setLoaded] = createSignal(false);
  const reload = () =>
    loadWorkers().then(
      () => {
        setError(null);
        setLoaded(true);
      },
      (e: unknown) => setError(e),
    );

  onMount(() => {
    void reload();
    const subscription = client.subscribe({ topic: 'dashboard' }, { onWorkerUpdated: upsertWorker, onRefetch: () => void reload() });
    onCleanup(() => subscription.close());
  });

  return (
    <div class="stack">
      <div class="page-head">
        <h1>{t('workers.title')}</h1>
      </div>
      <p class="muted">{t('workers.intro')}</p>
      <Show when={!isAdmin()}>
        <p class="muted small">{t('workers.adminOnlyActions')}</p>
      </Show>
      <Show when={error()}>
        {(e) => (
          <p class="error" role="alert">
            {errorMessage(e())}{' '}
            <button type="button" class="button small" onClick={() => void reload()}>
              {t('common.retry')}
            </button>
          </p>
        )}
      </Show>
      <section class="panel" aria-labelledby="workers-list-title" aria-busy={isLoaded() ? undefined : 'true'}>
        <h2 id="workers-list-title" class="visually-hidden">
          {t('workers.title')}
        </h2>
        <div class="table-wrap">
          <table class="table workers-table">
            <caption class="visually-hidden">{t('workers.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('workers.name')}</th>
                <th scope="col">{t('workers.state')}</th>
                <th scope="col">{t('workers.runs')}</th>
                <th scope="col">{t('workers.heartbeat')}</th>
                <th scope="col">{t('workers.host')}</th>
                <th scope="col" class="num">
                  {t('workers.pid')}
                </th>
                <th scope="col">{t('workers.version')}</th>
                <Show when={isAdmin()}>
                  <th scope="col">{t('workers.actions')}</th>
                </Show>
              </tr>
            </thead>
            <tbody>
              <For each={workerIds()}>{(id) => <Show when={workers[id]}>{(worker) => <WorkerRow worker={worker()} onError={setError} />}</Show>}</For>
            </tbody>
          </table>
        </div>
        <Show when={isLoaded() && workerIds().length === 0}>
          <p class="muted">{t('workers.none')}</p>
        </Show>
      </section>
    </div>
  );
}

function WorkerRow(props: { worker: WorkerDto; onError: (error: unknown) => void }) {
  const [isBusy, setBusy] = createSignal(false);
  const w = () => props.worker;
  const toggle = async () => {
    const isDraining = w().isDraining;
    const message = isDraining ? t('workers.confirmResume', { name: w().name }) : t('workers.confirmDrain', { name: w().name, n: w().runs.length });
    if (!(await confirmAction(message, isDraining ? t('workers.resume') : t('workers.drain'), !isDraining))) return;
    await whileBusy(
      setBusy,
      async () => {
        const changed = isDraining ? await client.workers.resume(w().id) : await client.workers.drain(w().id);
        upsertWorker(changed);
        props.onError(null);
        announce(isDraining ? t('workers.resumed', { name: changed.name }) : t('workers.drained', { name: changed.name }));
      },
      props.onError,
    );
  };
  return (
    <tr data-worker-id={w().id}>
      <td data-label={t('workers.name')}>
        <span class="worker-name">{w().name}</span>
        <span class="mono small muted block">{w().id}</span>
      </td>
      <td data-label={t('workers.state')}>
        <WorkerStateBadge state={w().state} />
      </td>
      <td data-label={t('workers.runs')}>
        <span class="worker-load">{t('workers.runsOf', { n: formatNumber(w().runs.length), m: formatNumber(w().concurrency) })}</span>
        <Show when={w().runs.length > 0}>
          <ul class="plain-list small">
            <For each={w().runs}>
              {(run) => (
                <li>
                  <Link href={`/runs/${encodeURIComponent(run.id)}`}>{run.jobName}</Link>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </td>
      <td data-label={t('workers.heartbeat')}>
        <Time iso={w().lastHeartbeatAt} />
      </td>
      <td data-label={t('workers.host')}>{w().host}</td>
      <td data-label={t('workers.pid')} class="num">
        {w().pid}
      </td>
      <td data-label={t('workers.version')}>{w().version}</td>
      <Show when={isAdmin()}>
        <td data-label={t('workers.actions')}>
          <button type="button" class="button small" classList={{ danger: !w().isDraining }} disabled={isBusy()} onClick={() => void toggle()}>
            {w().isDraining ? t('workers.resume') : t('workers.drain')}
            <span class="visually-hidden"> {w().name}</span>
          </button>
        </td>
      </Show>
    </tr>
  );
}
