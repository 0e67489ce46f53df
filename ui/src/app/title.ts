import { createEffect, onCleanup } from 'solid-js';

const APP_NAME = 'Jobflow';

/**
 * Keeps the tab title on what the screen shows (`run · job · Jobflow`), so a
 * tab among many says which screen, job and run status it holds.
 */
export function useTitle(parts: () => readonly (string | null | undefined | false)[]): void {
  createEffect(() => {
    document.title = [...parts().filter((p): p is string => typeof p === 'string' && p !== ''), APP_NAME].join(' · ');
  });
  onCleanup(() => (document.title = APP_NAME));
}
