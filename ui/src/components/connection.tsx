import { createSignal, onCleanup } from 'solid-js';
import type { ConnectionState } from '@jobflow/shared/client';
import { client } from '../app/client';
import { t } from '../i18n/i18n';

const [state, setState] = createSignal<ConnectionState>(client.connection.state);
client.connection.onChange(setState);
/** The live connection's state, as a signal. */
export const connectionState = state;

/** Calls `refetch` whenever the connection comes back after a drop. */
export function onReconnected(refetch: () => void): void {
  let wasDown = false;
  const off = client.connection.onChange((s) => {
    if (s === 'reconnecting' || s === 'offline') wasDown = true;
    else if (s === 'live' && wasDown) {
      wasDown = false;
      refetch();
    }
  });
  onCleanup(off);
}

const shown = (s: ConnectionState): 'live' | 'reconnecting' | 'offline' =>
  s === 'live' ? 'live' : s === 'offline' || s === 'unauthorized' ? 'offline' : 'reconnecting';

/** Live / reconnecting / offline, as a dot plus a word. */
export function ConnectionIndicator() {
  return (
    <span class={`connection connection-${shown(state())}`} role="status" title={t(`connection.${shown(state())}.hint`)}>
      <span class="connection-dot" aria-hidden="true" />
      {t(`connection.${shown(state())}`)}
    </span>
  );
}
