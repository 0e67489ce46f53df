import { Show } from 'solid-js';
import { errorMessage } from '../app/errors';
import { t } from '../i18n/i18n';
import type { PagedList } from '../stores/paged-list';

/** "Load more", loading and error state under a paged list. */
export function ListFooter(props: { list: PagedList; emptyText: string }) {
  return (
    <div class="list-footer">
      <Show when={props.list.error()}>
        {(error) => (
          <p class="error" role="alert">
            {errorMessage(error())}{' '}
            <button type="button" class="button small" onClick={() => void props.list.reload(true)}>
              {t('common.retry')}
            </button>
          </p>
        )}
      </Show>
      <Show when={!props.list.isLoading() && !props.list.error() && props.list.ids().length === 0}>
        <p class="muted">{props.emptyText}</p>
      </Show>
      <Show when={props.list.hasMore()}>
        <button type="button" class="button" disabled={props.list.isLoading()} onClick={() => void props.list.loadMore()}>
          {props.list.isLoading() ? t('common.loading') : t('common.loadMore')}
        </button>
      </Show>
      <Show when={props.list.isLoading() && !props.list.hasMore()}>
        <p class="muted" aria-live="polite">
          {t('common.loading')}
        </p>
      </Show>
    </div>
  );
}
