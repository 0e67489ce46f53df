import { createStore } from 'solid-js/store';
import type { PersonDto } from '@jobflow/shared/client';
import { client } from '../app/client';

/** Display names of users by id, learned from what the API sends and fetched in batches for the rest. */
const [names, setNames] = createStore<Record<string, string>>({});
const requested = new Set<string>();
const wanted: string[] = [];
let isScheduled = false;

export function notePeople(people: readonly PersonDto[]): void {
  for (const person of people) {
    requested.add(person.id);
    if (names[person.id] !== person.name) setNames(person.id, person.name);
  }
}

function fetchWanted(): void {
  isScheduled = false;
  const ids = wanted.splice(0, 200);
  if (ids.length === 0) return;
  client.people.list({ ids }).then(notePeople, () => {
    // Asked again the next time a screen needs the name.
    for (const id of ids) requested.delete(id);
  });
  if (wanted.length > 0) fetchWanted();
}

/** The name of user `id`, or undefined until it is known (one request per batch of new ids). */
export function personName(id: string): string | undefined {
  const name = names[id];
  if (name === undefined && !requested.has(id)) {
    requested.add(id);
    wanted.push(id);
    if (!isScheduled) {
      isScheduled = true;
      setTimeout(fetchWanted, 0);
    }
  }
  return name;
}
