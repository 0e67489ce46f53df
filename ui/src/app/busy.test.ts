import { describe, expect, it } from 'vitest';
import { whileBusy } from './busy';

describe('whileBusy', () => {
  it('is busy exactly while the action runs, and hands a failure to onError', async () => {
    const states: boolean[] = [];
    const errors: unknown[] = [];
    let busyDuringAction: boolean | undefined;
    await whileBusy(
      (isBusy) => states.push(isBusy),
      async () => {
        busyDuringAction = states.at(-1);
      },
      (e) => errors.push(e),
    );
    expect(busyDuringAction).toBe(true);
    await whileBusy(
      (isBusy) => states.push(isBusy),
      async () => {
        throw new Error('refused');
      },
      (e) => errors.push(e),
    );
    expect(states).toEqual([true, false, true, false]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['refused']);
  });
});
