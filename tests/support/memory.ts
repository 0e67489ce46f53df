import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full garbage collection, so what is measured is memory held, not garbage not yet collected. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Memory the process holds for JavaScript: its heap, and the buffers outside it. */
const held = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/**
 * The most memory held while `fn` runs, above what was held when it started,
 * sampled every 50 ms. A sample more than `collectAboveBytes` above the start
 * is taken again after a full garbage collection: garbage awaiting collection
 * is not memory held.
 */
export async function memoryGrowth<T>(fn: () => Promise<T>, collectAboveBytes: number): Promise<{ value: T; growth: number }> {
  collectGarbage();
  const start = held();
  let peak = start;
  const sampler = setInterval(() => {
    let now = held();
    if (now - start > collectAboveBytes) {
      collectGarbage();
      now = held();
    }
    peak = Math.max(peak, now);
  }, 50);
  try {
    const value = await fn();
    return { value, growth: peak - start };
  } finally {
    clearInterval(sampler);
  }
}
