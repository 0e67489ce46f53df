export interface BatcherOptions<I, O> {
  /** Executes a whole batch in one statement; returns one result per item, in order. */
  run(items: I[]): Promise<O[]>;
  /** Items per statement at most. */
  maxBatch: number;
  /** An item's share of a statement (e.g. the log lines it carries); a statement holds at most `maxWeight`, or one item. */
  weigh?(item: I): number;
  maxWeight?: number;
  /** Statements in flight at most; items arriving meanwhile wait and go together in the next one. */
  maxInFlight: number;
}

/**
 * Group commit for one kind of write: the calls made while earlier batches
 * are in flight (or within the same event-loop turn) go to PostgreSQL as one
 * statement, so under load many runs share one round trip and one commit,
 * and a lone call waits for nothing. When a batch fails, its items are tried
 * one by one, so one item's error is its own.
 */
export function createBatcher<I, O>(o: BatcherOptions<I, O>): (item: I) => Promise<O> {
  type Entry = { item: I; resolve(value: O): void; reject(error: unknown): void };
  let waiting: Entry[] = [];
  let inFlight = 0;
  let isScheduled = false;

  async function execute(batch: Entry[]) {
    try {
      const out = await o.run(batch.map((e) => e.item));
      batch.forEach((e, i) => e.resolve(out[i]!));
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else await Promise.all(batch.map((e) => execute([e])));
    }
  }

  function batchSize(): number {
    const most = Math.min(waiting.length, o.maxBatch);
    if (!o.weigh || o.maxWeight === undefined) return most;
    let weight = 0;
    for (let i = 0; i < most; i++) {
      weight += o.weigh(waiting[i]!.item);
      if (weight > o.maxWeight) return Math.max(1, i);
    }
    return most;
  }

  function pump() {
    isScheduled = false;
    while (waiting.length && inFlight < o.maxInFlight) {
      const size = batchSize();
      const batch = waiting.slice(0, size);
      waiting = waiting.slice(size);
      inFlight++;
      void execute(batch).finally(() => {
        inFlight--;
        schedule();
      });
    }
  }

  function schedule() {
    if (isScheduled || !waiting.length) return;
    isScheduled = true;
    setImmediate(pump);
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      schedule();
    });
}
