import { For, onMount, Show } from 'solid-js';
import type { JobDto } from '@jobflow/shared/client';
import { Time } from '../components/time';
import { t } from '../i18n/i18n';
import { conflictLabel, conflictValue, type ConflictRow } from './job-conflict';
import { jsonEqual, type Schema } from './schema';

/** Longer values are cut here: a large inline document would otherwise fill the page. */
const MAX_SHOWN_CHARS = 400;

/** What an edit ran into: the job changed meanwhile; nothing was saved. The user reloads or applies the edit on top. */
export function EditConflictPanel(props: {
  base: JobDto;
  latest: JobDto;
  rows: ConflictRow[];
  paramsSchema: Schema | null;
  ownerName: (id: string) => string;
  onReload: () => void;
  onReapply: () => void;
}) {
  let heading: HTMLHeadingElement | undefined;
  // The form is gone from under the user's focus: bring it to what replaced it.
  onMount(() => heading?.focus());

  const shown = (key: string, value: unknown) => {
    const text = conflictValue(key, value, props.ownerName);
    return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
  };
  const clashes = () => props.rows.filter((row) => row.isTheirs && row.isMine && !jsonEqual(row.theirs, row.mine)).length;

  return (
    <section class="panel conflict-panel" aria-labelledby="conflict-title">
      <h2 id="conflict-title" tabIndex={-1} ref={heading}>
        {t('conflict.title')}
      </h2>
      <p>
        {t('conflict.intro', { from: props.base.version, to: props.latest.version })}{' '}
        <span class="muted">
          {t('conflict.savedAt')}
          <Time iso={props.latest.updatedAt} mode="absolute" />
        </span>
      </p>
      <Show when={props.rows.length > 0} fallback={<p class="muted">{t('conflict.noFields')}</p>}>
        <div class="table-wrap">
          <table class="table conflict-table">
            <caption class="visually-hidden">{t('conflict.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('conflict.field')}</th>
                <th scope="col">{t('conflict.before', { n: props.base.version })}</th>
                <th scope="col">{t('conflict.theirs', { n: props.latest.version })}</th>
                <th scope="col">{t('conflict.mine')}</th>
              </tr>
            </thead>
            <tbody>
              <For each={props.rows}>
                {(row) => {
                  const isClash = row.isTheirs && row.isMine && !jsonEqual(row.theirs, row.mine);
                  return (
                    <tr data-field={row.key} classList={{ 'is-clash': isClash }}>
                      <th scope="row">
                        {conflictLabel(row.key, props.paramsSchema)}
                        <Show when={isClash}>
                          {' '}
                          <span class="tag tag-changed">{t('conflict.both')}</span>
                        </Show>
                      </th>
                      <td class="conflict-value" data-side="before" data-label={t('conflict.before', { n: props.base.version })}>
                        {shown(row.key, row.before)}
                      </td>
                      <td
                        class="conflict-value"
                        data-side="theirs"
                        data-label={t('conflict.theirs', { n: props.latest.version })}
                        classList={{ 'is-changed': row.isTheirs }}
                      >
                        <Show when={row.isTheirs} fallback={<span class="muted">{t('conflict.unchanged')}</span>}>
                          {shown(row.key, row.theirs)}
                        </Show>
                      </td>
                      <td class="conflict-value" data-side="mine" data-label={t('conflict.mine')} classList={{ 'is-changed': row.isMine }}>
                        <Show when={row.isMine} fallback={<span class="muted">{t('conflict.unchanged')}</span>}>
                          {shown(row.key, row.mine)}
                        </Show>
                      </td>
                    </tr>
                  );
                }}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <p class="hint">{clashes() > 0 ? t('conflict.chooseClash', { n: clashes() }) : t('conflict.choose')}</p>
      <div class="actions">
        <button type="button" class="button" onClick={() => props.onReload()}>
          {t('conflict.reload')}
        </button>
        <button type="button" class="button primary" onClick={() => props.onReapply()}>
          {t('conflict.reapply')}
        </button>
      </div>
    </section>
  );
}
