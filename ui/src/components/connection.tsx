import { createSignal, Show } from 'solid-js';
import type { ConnectionState } from '@jobflow/shared/client';
import { client } from '../app/client';
import { formatTime, t } from '../i18n/i18n';

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

const [lastLiveAt, setLastLiveAt] = createSignal<number>(Date.now());
const [isStale, setStale] = createSignal(false);
let staleTimer: ReturnType<typeof setTimeout> | undefined;
client.connection.onChange((s) => {
  clearTimeout(staleTimer);
  if (s === 'live' || s === 'idle') {
    setStale(false);
    if (s === 'live') setLastLiveAt(Date.now());
  } else if (s === 'offline' || s === 'unauthorized') setStale(true);
  // A short blip while reconnecting is not worth a banner.
  else if (s === 'reconnecting') staleTimer = setTimeout(() => setStale(true), 3000);
});

/** Whether what the screens show may be out of date: offline, or reconnecting for a while. */
export const isShowingStale = isStale;

/** Says, while the connection is down, that the screen is as of the last moment it was live. */
export function StaleBanner() {
  return (
    <Show when={isStale()}>
      <p class="stale-banner" role="alert">
        <span aria-hidden="true">⚠ </span>
        {t(state() === 'offline' ? 'connection.staleOffline' : 'connection.staleReconnecting', { time: formatTime(new Date(lastLiveAt()).toISOString()) })}
      </p>
    </Show>
  );
}
