import { createSignal } from 'solid-js';

const [message, setMessage] = createSignal('');

/** The text of the polite aria-live region in the app shell. */
export const announcement = message;

/** Says `text` to screen readers through the shell's aria-live region. */
export function announce(text: string): void {
  // Clearing first makes a repeated message be read again.
  setMessage('');
  queueMicrotask(() => setMessage(text));
}
