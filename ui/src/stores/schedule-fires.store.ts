import { createStore, reconcile } from 'solid-js/store';
import type { ScheduleFireDto } from '@jobflow/shared/client';

/** Due times of job schedules the UI has seen, by id, with what became of each. */
const [fires, setFires] = createStore<Record<string, ScheduleFireDto>>({});
export { fires };

export function upsertFires(list: readonly ScheduleFireDto[]): void {
  for (const fire of list) setFires(fire.id, fires[fire.id] ? reconcile(fire) : fire);
}

/** Latest due time first, as the API lists them. */
export const byDueDesc = (a: ScheduleFireDto, b: ScheduleFireDto): number =>
  a.dueAt < b.dueAt ? 1 : a.dueAt > b.dueAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
