import { createSignal } from 'solid-js';
import type { ConnectionState } from '@jobflow/shared/client';
import { client } from '../app/client';
import { t } from '../i18n/i18n';

const [state, setState] = createSignal<ConnectionState>(client.connection.state);
client.connection.onChange(setState);
/** The live connection's state, as a signal. */
export const connectionState = state;

const shown = (s: ConnectionState): 'live' | 'connecting' | 'reconnecting' | 'offline' =>
  s === 'live' ? 'live' : s === 'offline' || s === 'unauthorized' ? 'offline' : s === 'reconnecting' ? 'reconnecting' : 'connecting';

/** Live / connecting / reconnecting / offline, as a dot plus a word. */
export function ConnectionIndicator() {
  return (
    <span class={`connection connection-${shown(state())}`} role="status" title={t(`connection.${shown(state())}.hint`)}>
      <span class="connection-dot" aria-hidden="true" />
      {t(`connection.${shown(state())}`)}
    </span>
  );
}
