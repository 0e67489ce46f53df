/** A push-driven async iterator: producers push, one consumer pulls with `for await`. */
export interface AsyncQueue<T> extends AsyncIterableIterator<T> {
  push(item: T): void;
  /** Ends the iteration; with an error, the consumer's next `next()` rejects with it. */
  end(error?: unknown): void;
}

/** `onReturn` runs once when the iteration ends for any reason (consumer break, end(), error). */
export function createAsyncQueue<T>(onReturn: () => void): AsyncQueue<T> {
  const items: T[] = [];
  let head = 0;
  let waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  let ended = false;
  let failure: { error: unknown } | null = null;
  let returned = false;

  const cleanup = () => {
    if (returned) return;
    returned = true;
    onReturn();
  };

  const queue: AsyncQueue<T> = {
    push(item) {
      if (ended) return;
      if (waiting) {
        const w = waiting;
        waiting = null;
        w.resolve({ value: item, done: false });
      } else {
        items.push(item);
      }
    },
    end(error) {
      if (ended) return;
      ended = true;
      if (error !== undefined) failure = { error };
      cleanup();
      if (waiting && head >= items.length) {
        const w = waiting;
        waiting = null;
        if (failure) {
          const f = failure;
          failure = null;
          w.reject(f.error);
        } else w.resolve({ value: undefined, done: true });
      }
    },
    next() {
      if (head < items.length) {
        const value = items[head++] as T;
        if (head > 1024 && head * 2 > items.length) {
          items.splice(0, head);
          head = 0;
        }
        return Promise.resolve({ value, done: false });
      }
      if (ended) {
        if (failure) {
          const f = failure;
          failure = null;
          return Promise.reject(f.error);
        }
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    return() {
      ended = true;
      items.length = 0;
      head = 0;
      cleanup();
      if (waiting) {
        const w = waiting;
        waiting = null;
        w.resolve({ value: undefined, done: true });
      }
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return queue;
    },
  };
  return queue;
}
