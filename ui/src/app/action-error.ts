import { createEffect, createSignal, on } from 'solid-js';
import { isApiClientError } from '@jobflow/shared/client';
import { connectionState } from '../components/connection';
import { errorMessage } from './errors';

/**
 * The message of an action that failed (Run now, Cancel...), from its error
 * or as a sentence. One that failed only because the network was down is
 * cleared once the connection is back, so an old error does not outlive its cause.
 */
export function createActionError() {
  const [error, setError] = createSignal<{ message: string; isNetwork: boolean } | null>(null);
  createEffect(
    on(connectionState, (state) => {
      if (state === 'live' && error()?.isNetwork) setError(null);
    }),
  );
  return [
    () => error()?.message ?? null,
    (e: unknown) => setError(e === null ? null : { message: typeof e === 'string' ? e : errorMessage(e), isNetwork: isApiClientError(e, 'network_error') }),
  ] as const;
}
