import { Show } from 'solid-js';
import { t } from '../i18n/i18n';
import { user } from '../session/session';

/** Who owns a job: the name the server sends with the job, marked when it is the signed-in user. */
export function Owner(props: { id: string; name?: string | undefined }) {
  const isMe = () => props.id === user()?.id;
  const label = () => props.name || (isMe() ? user()?.name || user()?.email : undefined) || `${t('common.user')} ${props.id.slice(0, 8)}`;
  return (
    <span title={props.id}>
      {label()}
      <Show when={isMe()}>
        <span class="muted"> ({t('common.you')})</span>
      </Show>
    </span>
  );
}
