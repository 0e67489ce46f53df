import { createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import type { UpcomingDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { errorMessage } from '../app/errors';
import { Link } from '../app/router';
import { Time } from '../components/time';
import { formatDateTimeIn, t } from '../i18n/i18n';
import { createRefetch } from './refetch';

/** Due times shown; the list keeps this many rows' height. */
const SHOWN = 3;

/** The next due times across every scheduled job; refetched when a job or its schedule history changes. */
export function UpcomingPanel() {
  const [upcoming, setUpcoming] = createSignal<UpcomingDto | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const load = () =>
    client.upcoming({ limit: SHOWN }).then(
      (u) => {
        setUpcoming(u);
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
      // A schedule set, changed, paused or removed, or a due time recorded (so the first one has passed).
      { onJobUpdated: refetch, onJobDeleted: refetch, onScheduleRecorded: refetch, onRefetch: () => void load() },
    );
    onCleanup(() => subscription.close());
  });

  return (
    <section class="panel upcoming-panel" aria-labelledby="upcoming-title" aria-busy={upcoming() ? undefined : 'true'}>
      <h2 id="upcoming-title">{t('upcoming.title')}</h2>
      <ul class="mini-list" aria-label={t('upcoming.title')}>
        <For each={upcoming()?.items ?? []}>
          {(item) => (
            <li data-job-id={item.jobId}>
              <Link href={`/jobs/${encodeURIComponent(item.jobId)}`} title={`${item.cron} (${item.timezone})`}>
                {item.jobName}
              </Link>
              <span class="small">
                <span class="visually-hidden">{t('upcoming.at')}: </span>
                <Time iso={item.at} />
                <span class="visually-hidden">
                  {' '}
                  ({t('upcoming.local')}: {formatDateTimeIn(item.at, item.timezone)})
                </span>
              </span>
            </li>
          )}
        </For>
        <Show when={upcoming()?.items.length === 0}>
          <li class="mini-empty muted">{t('upcoming.empty')}</li>
        </Show>
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
