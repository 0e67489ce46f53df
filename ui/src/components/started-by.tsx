import { Show } from 'solid-js';
import type { TriggerDto } from '@jobflow/shared/client';
import { t } from '../i18n/i18n';
import { user } from '../session/session';
import { personName } from '../stores/people.store';

/** Who started a run: the user's name (marked when it is you); nothing for a schedule. */
export function StartedBy(props: { trigger: TriggerDto }) {
  const id = () => props.trigger.userId;
  const isMe = () => id() !== null && id() === user()?.id;
  const name = () => {
    const userId = id();
    if (!userId) return null;
    if (isMe()) return user()?.name || user()?.email || '';
    return personName(userId) ?? t('common.someone');
  };
  return (
    <Show when={name() !== null}>
      <span class="started-by" title={id() ?? undefined}>
        {name()}
        <Show when={isMe()}>
          <span class="muted"> ({t('common.you')})</span>
        </Show>
      </span>
    </Show>
  );
}
