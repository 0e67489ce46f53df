import { createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import type { QueueDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { createNow } from '../app/clock';
import { errorMessage } from '../app/errors';
import { Link } from '../app/router';
import { formatDuration, formatNumber, t } from '../i18n/i18n';
import { createRefetch } from './refetch';

/** Jobs shown (those waiting longest); the list keeps this many rows' height. */
const SHOWN = 3;

/** Runs waiting in the queue: how many, the oldest one's age, per job; refetched as runs change. */
export function QueuePanel() {
  const now = createNow(1000);
  const [queue, setQueue] = createSignal<QueueDto | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const load = () =>
    client.queue().then(
      (q) => {
        setQueue(q);
        setError(null);
      },
      (e: unknown) => setError(e),
    );
  const refetch = createRefetch(load);
  onCleanup(() => refetch.dispose());

  onMount(() => {
    void load();
    const subscription = client.subscribe(
      { topic: 'dashboard' },
      {
        // With nothing waiting, only a run entering the queue changes it; otherwise any run may have left it.
        onRunUpdated: (run) => {
          if (run.status === 'queued' || (queue()?.queued ?? 1) > 0) refetch();
        },
        onRefetch: () => void load(),
      },
    );
    onCleanup(() => subscription.close());
  });

  const age = (iso: string) => formatDuration(now() - Date.parse(iso));

  return (
    <section class="panel queue-panel" aria-labelledby="queue-title" aria-busy={queue() ? undefined : 'true'}>
      <h2 id="queue-title">{t('queue.title')}</h2>
      <p class="panel-summary" data-testid="queue-summary">
        <Show when={queue()} fallback={<span class="muted">{t('common.loading')}</span>}>
          {(q) => (
            <Show when={q().oldestQueuedAt} fallback={<span class="muted">{t('queue.empty')}</span>}>
              {(oldest) => (
                <>
                  <strong>{t('queue.waiting', { n: formatNumber(q().queued) })}</strong>
                  {' · '}
                  <span>{t('queue.oldest', { age: age(oldest()) })}</span>
                </>
              )}
            </Show>
          )}
        </Show>
      </p>
      <ul class="mini-list" aria-label={t('queue.title')}>
        <For each={queue()?.jobs.slice(0, SHOWN) ?? []}>
          {(job) => (
            <li data-job-id={job.jobId}>
              <Link href={`/jobs/${encodeURIComponent(job.jobId)}`}>{job.jobName}</Link>
              <span class="muted small">
                <span class="visually-hidden">{t('queue.queued')}: </span>
                {formatNumber(job.queued)} · <span class="visually-hidden">{t('queue.oldestAge')}: </span>
                {age(job.oldestQueuedAt)}
              </span>
            </li>
          )}
        </For>
      </ul>
      <Show when={error()}>
        {(e) => (
          <p class="error small" role="alert">
            {errorMessage(e())}
          </p>
        )}
      </Show>
    </section>
  );
}
