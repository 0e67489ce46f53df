import { createRoot, createSignal } from 'solid-js';
import { describe, expect, it } from 'vitest';
import { afterTask, inSteps } from './in-steps';

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('inSteps', () => {
  it('shows a long list a step per task, then everything it gains at once', async () => {
    await createRoot(async (dispose) => {
      const [items, setItems] = createSignal<number[]>([]);
      const list = inSteps(items, 10);
      expect(list.shown()).toEqual([]);
      setItems(Array.from({ length: 25 }, (_, i) => i));
      const lengths = [list.shown().length];
      while (!list.isComplete()) {
        await nextTask();
        lengths.push(list.shown().length);
      }
      expect(lengths[0]).toBe(10);
      expect(lengths.at(-1)).toBe(25);
      expect(new Set(lengths)).toEqual(new Set([10, 20, 25]));
      setItems(Array.from({ length: 75 }, (_, i) => i));
      expect(list.shown()).toHaveLength(75);
      dispose();
    });
  });

  it('shows a short list at once', () => {
    createRoot((dispose) => {
      const list = inSteps(() => [1, 2, 3], 10);
      expect(list.shown()).toEqual([1, 2, 3]);
      expect(list.isComplete()).toBe(true);
      dispose();
    });
  });
});

describe('afterTask', () => {
  it('turns true in the task after its condition does, and stays true', async () => {
    await createRoot(async (dispose) => {
      const [isReady, setReady] = createSignal(false);
      const isShown = afterTask(isReady);
      await nextTask();
      expect(isShown()).toBe(false);
      setReady(true);
      expect(isShown()).toBe(false);
      await nextTask();
      expect(isShown()).toBe(true);
      setReady(false);
      expect(isShown()).toBe(true);
      dispose();
    });
  });
});
