/**
 * Runs `load` at once on the first call, then at most once per `gapMs`
 * while calls keep coming (the last one is never dropped): a panel that
 * refetches on live events costs one request per burst, and none while
 * nothing happens.
 */
export function createRefetch(load: () => Promise<unknown>, gapMs = 1000): { (): void; dispose(): void } {
  let lastAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer = undefined;
    lastAt = Date.now();
    void load();
  };
  const refetch = () => {
    if (timer !== undefined) return;
    const wait = lastAt + gapMs - Date.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
  refetch.dispose = () => clearTimeout(timer);
  return refetch;
}
