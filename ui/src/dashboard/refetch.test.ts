import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createRefetch } from './refetch';

describe('refetching on live events', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test('loads at once, then once per gap for a burst, keeping the last call, and never on its own', async () => {
    const load = vi.fn(() => Promise.resolve());
    const refetch = createRefetch(load, 1000);
    refetch();
    expect(load).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(40);
      refetch();
    }
    expect(load).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(load).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(60_000);
    expect(load).toHaveBeenCalledTimes(2);
    refetch();
    expect(load).toHaveBeenCalledTimes(3);
    refetch();
    refetch.dispose();
    vi.advanceTimersByTime(5000);
    expect(load).toHaveBeenCalledTimes(3);
  });
});
