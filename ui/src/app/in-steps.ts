import { createEffect, createSignal, onCleanup } from 'solid-js';

/**
 * A long list's first render, spread over tasks: the first `step` items at
 * once, then `step` more in each following task, so the page never stays
 * busy long enough to miss a paint or a key press. Once every item has been
 * shown, whatever the list gains later (a page, a live insert) shows at once.
 */
export function inSteps<T>(items: () => readonly T[], step: number): { shown: () => readonly T[]; isComplete: () => boolean } {
  const [limit, setLimit] = createSignal(step);
  let timer: ReturnType<typeof setTimeout> | undefined;
  createEffect(() => {
    const count = items().length;
    if (count === 0 || limit() === Infinity) return;
    if (limit() >= count) return void setLimit(Infinity);
    clearTimeout(timer);
    timer = setTimeout(() => setLimit((n) => n + step), 0);
  });
  onCleanup(() => clearTimeout(timer));
  const isComplete = () => limit() >= items().length;
  return { shown: () => (isComplete() ? items() : items().slice(0, limit())), isComplete };
}

/**
 * `when()`, one task late: false until the task after the one in which
 * `when()` first turned true, and true from then on. A screen shows its
 * parts in turn with it, each in a task of its own, so no single task holds
 * the page for long while the first data arrives.
 */
export function afterTask(when: () => boolean): () => boolean {
  const [isShown, setShown] = createSignal(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  createEffect(() => {
    if (!when() || isShown() || timer !== undefined) return;
    timer = setTimeout(() => setShown(true), 0);
  });
  onCleanup(() => clearTimeout(timer));
  return isShown;
}
