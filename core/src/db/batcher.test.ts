import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher';

const tick = () => new Promise((r) => setImmediate(r));

describe('createBatcher', () => {
  it('sends the calls of one turn as one batch and answers each in order', async () => {
    const batches: number[][] = [];
    const double = createBatcher<number, number>({
      maxBatch: 100,
      maxInFlight: 1,
      run: async (items) => {
        batches.push(items);
        return items.map((i) => i * 2);
      },
    });
    expect(await Promise.all([1, 2, 3].map(double))).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('groups the calls made while a batch is in flight into the next one', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const echo = createBatcher<number, number>({
      maxBatch: 100,
      maxInFlight: 1,
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate;
        return items;
      },
    });
    const first = echo(1);
    await tick();
    const rest = [2, 3, 4].map(echo);
    await tick();
    expect(batches).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...rest])).toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('splits by count and by weight, never below one item', async () => {
    const batches: string[][] = [];
    const size = createBatcher<string, number>({
      maxBatch: 3,
      maxInFlight: 4,
      weigh: (s) => s.length,
      maxWeight: 5,
      run: async (items) => {
        batches.push(items);
        return items.map((s) => s.length);
      },
    });
    expect(await Promise.all(['a', 'b', 'c', 'd', 'eeeeeeee', 'ff', 'ggg'].map(size))).toEqual([1, 1, 1, 1, 8, 2, 3]);
    expect(batches).toEqual([['a', 'b', 'c'], ['d'], ['eeeeeeee'], ['ff', 'ggg']]);
  });

  it('keeps one item’s failure to that item: a failed batch is retried item by item', async () => {
    const seen: number[][] = [];
    const strict = createBatcher<number, number>({
      maxBatch: 100,
      maxInFlight: 1,
      run: async (items) => {
        seen.push(items);
        if (items.includes(13)) throw new Error('unlucky');
        return items;
      },
    });
    const results = await Promise.allSettled([1, 13, 2].map(strict));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([1, 'unlucky', 2]);
    expect(seen).toEqual([[1, 13, 2], [1], [13], [2]]);
  });
});
