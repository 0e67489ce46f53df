import { createSignal } from 'solid-js';
import type { UserDto } from '@jobflow/shared/client';
import { client } from '../app/client';

/** Where earlier versions kept the session token; cleared so no token lingers in page-readable storage. */
const LEGACY_STORAGE_KEY = 'jobflow.session';

const [user, setUser] = createSignal<UserDto | null>(null);
const [isRestoring, setRestoring] = createSignal(true);
let expiryTimer: ReturnType<typeof setTimeout> | undefined;

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

function begin(signedIn: UserDto, expiresAt?: string): void {
  client.setCookieSession(true);
  client.connection.open();
  setUser(signedIn);
  clearTimeout(expiryTimer);
  const msLeft = expiresAt ? Date.parse(expiresAt) - Date.now() : NaN;
  // setTimeout cannot wait longer than ~24.8 days; the server refuses an expired session anyway.
  if (msLeft > 0 && msLeft < 2 ** 31 - 1) expiryTimer = setTimeout(() => end(), msLeft);
}

/** Forgets the session locally and closes the live connection. */
function end(): void {
  clearTimeout(expiryTimer);
  client.setCookieSession(false);
  client.close();
  setUser(null);
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
  try {
    begin(await client.auth.me());
  } catch {
    // No session (401), or the server is unreachable: show the sign-in screen.
    end();
  }
  setRestoring(false);
}

client.onAuthError(() => {
  if (user()) end();
});
