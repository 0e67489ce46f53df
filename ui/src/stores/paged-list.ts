import { createSignal } from 'solid-js';
import type { Page } from '@jobflow/shared/client';

export interface PagedList {
  /** Ids in display order. */
  ids: () => readonly string[];
  isLoading: () => boolean;
  /** The first page has arrived (or failed): the list has its real height now. */
  isLoaded: () => boolean;
  hasMore: () => boolean;
  error: () => unknown;
  /** Loads the first page again; with `keepLength`, as many items as are shown now (refetch after resync). */
  reload(keepLength?: boolean): Promise<void>;
  loadMore(): Promise<void>;
  /** Adds an id that arrived live, at its place in the order. */
  insert(id: string, before: (a: string, b: string) => boolean): void;
  remove(id: string): void;
  has(id: string): boolean;
}

/**
 * A keyset-paginated list view over a store: the items go to the store, the
 * list keeps only their ids, so live patches to the store show up at once.
 */
export function createPagedList<T extends { id: string }>(options: {
  fetchPage: (cursor: string | null, limit: number) => Promise<Page<T>>;
  store: (items: readonly T[]) => void;
  pageSize?: number;
}): PagedList {
  const pageSize = options.pageSize ?? 50;
  const [ids, setIds] = createSignal<readonly string[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [isLoading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [isLoaded, setLoaded] = createSignal(false);
  let generation = 0;
  let known = new Set<string>();

  const reload = async (keepLength = false) => {
    const mine = ++generation;
    setLoading(true);
    setError(null);
    try {
      const limit = keepLength ? Math.min(200, Math.max(pageSize, ids().length)) : pageSize;
      const page = await options.fetchPage(null, limit);
      if (mine !== generation) return;
      options.store(page.items);
      known = new Set(page.items.map((item) => item.id));
      setIds(page.items.map((item) => item.id));
      setCursor(page.nextCursor);
    } catch (e) {
      if (mine === generation) setError(e);
    } finally {
      if (mine === generation) {
        setLoading(false);
        setLoaded(true);
      }
    }
  };

  const loadMore = async () => {
    const from = cursor();
    if (!from || isLoading()) return;
    const mine = generation;
    setLoading(true);
    setError(null);
    try {
      const page = await options.fetchPage(from, pageSize);
      if (mine !== generation) return;
      options.store(page.items);
      const fresh = page.items.filter((item) => !known.has(item.id));
      for (const item of fresh) known.add(item.id);
      setIds((list) => [...list, ...fresh.map((item) => item.id)]);
      setCursor(page.nextCursor);
    } catch (e) {
      if (mine === generation) setError(e);
    } finally {
      if (mine === generation) setLoading(false);
    }
  };

  return {
    ids,
    isLoading,
    isLoaded,
    hasMore: () => cursor() !== null,
    error,
    reload,
    loadMore,
    insert(id, before) {
      if (known.has(id)) return;
      known.add(id);
      setIds((list) => {
        const at = list.findIndex((other) => before(id, other));
        return at < 0 ? (cursor() === null ? [...list, id] : list) : [...list.slice(0, at), id, ...list.slice(at)];
      });
    },
    remove(id) {
      if (!known.delete(id)) return;
      setIds((list) => list.filter((other) => other !== id));
    },
    has: (id) => known.has(id),
  };
}
