import { createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import type { ArtifactDto } from '@jobflow/shared';
import { client } from '../app/client';
import { errorMessage } from '../app/errors';
import { t } from '../i18n/i18n';
import { Time } from '../components/time';

const sizeText = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/**
 * The files a run attached, each a download link (streamed by the browser,
 * signed in by the session cookie). Fetched once, then kept live from
 * `artifact:added`; fetched again when the connection may have missed events.
 */
export function RunArtifacts(props: { runId: string }) {
  const [artifacts, setArtifacts] = createSignal<ArtifactDto[]>([]);
  const [failure, setFailure] = createSignal<unknown>(null);
  const add = (artifact: ArtifactDto) => setArtifacts((list) => (list.some((a) => a.name === artifact.name) ? list : [...list, artifact]));
  const refetch = () =>
    client.artifacts.list(props.runId).then(
      (list) => {
        setFailure(null);
        setArtifacts(list);
      },
      (e: unknown) => setFailure(e),
    );

  onMount(() => {
    const subscription = client.subscribe(
      { topic: 'run', runId: props.runId },
      { onArtifactAdded: (event) => add(event.artifact), onRefetch: () => void refetch() },
    );
    // Listed after subscribing, so an artifact attached in between is in one or the other.
    void subscription.ready.then(refetch, refetch);
    onCleanup(() => subscription.close());
  });

  return (
    <Show when={artifacts().length > 0 || failure()}>
      <section class="panel" aria-labelledby="artifacts-title">
        <h2 id="artifacts-title">{t('run.artifacts')}</h2>
        <Show when={failure()}>
          <p class="error" role="alert">
            {errorMessage(failure())}
          </p>
        </Show>
        <ul class="artifacts">
          <For each={artifacts()}>
            {(artifact) => (
              <li>
                <a href={client.artifacts.url(props.runId, artifact.name)} download={artifact.name} data-artifact={artifact.name}>
                  {artifact.name}
                </a>{' '}
                <span class="muted small">
                  {sizeText(artifact.size)} · {artifact.contentType} · <Time iso={artifact.createdAt} mode="time" />
                </span>
              </li>
            )}
          </For>
        </ul>
      </section>
    </Show>
  );
}
