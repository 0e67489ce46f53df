import { createSignal } from 'solid-js';
import type { UserDto } from '@jobflow/shared/client';
import { client } from '../app/client';

const STORAGE_KEY = 'jobflow.session';

interface StoredSession {
  token: string;
  expiresAt: string;
  user: UserDto;
}

const [user, setUser] = createSignal<UserDto | null>(null);
const [isRestoring, setRestoring] = createSignal(true);
let expiryTimer: ReturnType<typeof setTimeout> | undefined;

/** The signed-in user, or null. */
export { user, isRestoring };
export const isAdmin = () => user()?.role === 'admin';

function save(session: StoredSession | null): void {
  try {
    if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage unavailable: the session lasts for this page
  }
}

function load(): StoredSession | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof value.token !== 'string' || typeof value.expiresAt !== 'string' || !value.user) return null;
    return value as StoredSession;
  } catch {
    return null;
  }
}

function begin(session: StoredSession): boolean {
  const msLeft = Date.parse(session.expiresAt) - Date.now();
  if (!(msLeft > 0)) {
    save(null);
    return false;
  }
  client.setToken(session.token);
  client.connection.open();
  setUser(session.user);
  clearTimeout(expiryTimer);
  // setTimeout cannot wait longer than ~24.8 days; longer sessions are re-checked on the next load.
  if (msLeft < 2 ** 31 - 1) expiryTimer = setTimeout(() => signOut(), msLeft);
  return true;
}

/** Signs in and remembers the session until its token expires. Throws ApiClientError. */
export async function signIn(email: string, password: string): Promise<UserDto> {
  const response = await client.auth.login({ email, password });
  const session = { token: response.token, expiresAt: response.expiresAt, user: response.user };
  save(session);
  begin(session);
  return response.user;
}

/** Forgets the session and closes the live connection. */
export function signOut(): void {
  clearTimeout(expiryTimer);
  save(null);
  client.setToken(null);
  client.close();
  setUser(null);
}

/** Restores a remembered session at start-up and checks it with the server. */
export async function restoreSession(): Promise<void> {
  const session = load();
  if (session && begin(session)) {
    try {
      const fresh = await client.auth.me();
      setUser(fresh);
      save({ ...session, user: fresh });
    } catch {
      // A refused token signs out through onAuthError; a network failure keeps the remembered user.
    }
  }
  setRestoring(false);
}

client.onAuthError(() => {
  if (user()) signOut();
});
