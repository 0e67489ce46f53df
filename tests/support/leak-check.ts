import { afterAll, expect } from 'vitest';

/** Everything a test file opens that must be closed by the end of the file. */
const open = new Map<object, string>();

export function track<T extends object>(resource: T, what: string): T {
  open.set(resource, what);
  return resource;
}

export function untrack(resource: object): void {
  open.delete(resource);
}

afterAll(() => {
  const left = [...open.values()];
  open.clear();
  expect(left, 'resources left open by this test file').toEqual([]);
});
