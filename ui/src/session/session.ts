import { createSignal } from 'solid-js';
import type { UserDto } from '@jobflow/shared/client';
import { client } from '../app/client';

/** Where earlier versions kept the session token; cleared so no token lingers in page-readable storage. */
const LEGACY_STORAGE_KEY = 'jobflow.session';
/**
 * Who was signed in last (the user as the API shows it, never a credential): the screens render at once on
 * a reload while the server confirms the cookie's session.
 */
const USER_HINT_KEY = 'jobflow.user';

const [user, setUser] = createSignal<UserDto | null>(null);
const [isRestoring, setRestoring] = createSignal(true);
let expiryTimer: ReturnType<typeof setTimeout> | undefined;
let openTimer: ReturnType<typeof setTimeout> | undefined;

/** The signed-in user, or null. */
export { user, isRestoring };
export const isAdmin = () => user()?.role === 'admin';

function forgetLegacyToken(): void {
  try {
    localStorage.removeItem(LEGACY_STORAGE_KEY);
  } catch {
    // storage unavailable: nothing was kept there either
  }
}

function saveHint(signedIn: UserDto | null): void {
  try {
    if (signedIn) localStorage.setItem(USER_HINT_KEY, JSON.stringify(signedIn));
    else localStorage.removeItem(USER_HINT_KEY);
  } catch {
    // storage unavailable: the next load waits for the server instead
  }
}

function loadHint(): UserDto | null {
  try {
    const value = JSON.parse(localStorage.getItem(USER_HINT_KEY) ?? 'null') as Partial<UserDto> | null;
    return value && typeof value.id === 'string' && typeof value.email === 'string' && (value.role === 'admin' || value.role === 'user')
      ? (value as UserDto)
      : null;
  } catch {
    return null;
  }
}

function begin(signedIn: UserDto, expiresAt?: string): void {
  client.setCookieSession(true);
  // In a task of its own: at start-up this runs while the modules evaluate, which hold the page long enough.
  clearTimeout(openTimer);
  openTimer = setTimeout(() => client.connection.open(), 0);
  setUser(signedIn);
  saveHint(signedIn);
  clearTimeout(expiryTimer);
  const msLeft = expiresAt ? Date.parse(expiresAt) - Date.now() : NaN;
  // setTimeout cannot wait longer than ~24.8 days; the server refuses an expired session anyway.
  if (msLeft > 0 && msLeft < 2 ** 31 - 1) expiryTimer = setTimeout(() => end(), msLeft);
}

/** Forgets the session locally and closes the live connection. */
function end(): void {
  clearTimeout(expiryTimer);
  clearTimeout(openTimer);
  client.setCookieSession(false);
  client.close();
  setUser(null);
  saveHint(null);
}

/**
 * Signs in. The session lives in an HttpOnly, SameSite=Strict cookie the
 * server sets: page scripts never see the token. Throws ApiClientError.
 */
export async function signIn(email: string, password: string): Promise<UserDto> {
  const response = await client.auth.loginWithCookie({ email, password });
  begin(response.user, response.expiresAt);
  return response.user;
}

/** Signs out: the server ends the user's sessions (on every server, sockets included) and clears the cookie. */
export async function signOut(): Promise<void> {
  try {
    await client.auth.logout();
  } catch {
    // Already ended or unreachable: the local session ends all the same.
  }
  end();
}

/** At start-up, asks the server whether the browser's cookie still holds a session. */
export async function restoreSession(): Promise<void> {
  forgetLegacyToken();
  const hint = loadHint();
  if (hint) {
    // Render as the last user at once; the server's answer below confirms it or signs out.
    begin(hint);
    setRestoring(false);
  }
  try {
    begin(await client.auth.me());
  } catch (error) {
    // No session (401: onAuthError has ended it), or the server is unreachable: keep the hinted user, else sign in.
    if (!hint || (error as { status?: number }).status === 401) end();
  }
  setRestoring(false);
}

client.onAuthError(() => {
  if (user()) end();
});
