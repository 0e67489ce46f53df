/**
 * Collects items and hands them over once per animation frame, so a burst of
 * live events costs one render, not one per event.
 */
export function createFrameQueue<T>(flush: (items: T[]) => void): { push(item: T): void; flushNow(): void } {
  let items: T[] = [];
  let isScheduled = false;
  const run = () => {
    isScheduled = false;
    if (items.length === 0) return;
    const batch = items;
    items = [];
    flush(batch);
  };
  const schedule = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (cb: () => void) => setTimeout(cb, 16);
  return {
    push(item) {
      items.push(item);
      if (!isScheduled) {
        isScheduled = true;
        schedule(run);
      }
    },
    flushNow: run,
  };
}
