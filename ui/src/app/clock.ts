import { createSignal, onCleanup } from 'solid-js';

/** The current time, refreshed every `everyMs` while the calling component lives (display only). */
export function createNow(everyMs = 1000): () => number {
  const [now, setNow] = createSignal(Date.now());
  const timer = setInterval(() => setNow(Date.now()), everyMs);
  onCleanup(() => clearInterval(timer));
  return now;
}
