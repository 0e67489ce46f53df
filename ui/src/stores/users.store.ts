import { createStore, reconcile } from 'solid-js/store';
import { createSignal } from 'solid-js';
import type { UserDto } from '@jobflow/shared/client';
import { client } from '../app/client';

/** Users by id (admins only can list them). */
const [users, setUsers] = createStore<Record<string, UserDto>>({});
const [order, setOrder] = createSignal<readonly string[]>([]);
export { users, order as userIds };

export function upsertUser(user: UserDto): void {
  setUsers(user.id, users[user.id] ? reconcile(user) : user);
  if (!order().includes(user.id)) setOrder((ids) => [...ids, user.id]);
}

export function removeUser(id: string): void {
  setOrder((ids) => ids.filter((other) => other !== id));
}

/** Loads every user, page by page. */
export async function loadUsers(): Promise<void> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.users.list({ limit: 200, cursor });
    for (const user of page.items) {
      setUsers(user.id, users[user.id] ? reconcile(user) : user);
      ids.push(user.id);
    }
    cursor = page.nextCursor;
  } while (cursor);
  setOrder(ids);
}
