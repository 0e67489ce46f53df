import type Koa from 'koa';

/** The browser's session: an HttpOnly cookie that page scripts cannot read. */
export const SESSION_COOKIE = 'jf_session';

const attributes = (isHttps: boolean) => `Path=/; HttpOnly; SameSite=Strict${isHttps ? '; Secure' : ''}`;

/** Sets the session cookie, living as long as the session. */
export function setSessionCookie(ctx: Koa.Context, token: string, expiresAt: Date, isHttps: boolean): void {
  const maxAgeSec = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  ctx.append('Set-Cookie', `${SESSION_COOKIE}=${token}; ${attributes(isHttps)}; Max-Age=${maxAgeSec}; Expires=${expiresAt.toUTCString()}`);
}

export function clearSessionCookie(ctx: Koa.Context, isHttps: boolean): void {
  ctx.append('Set-Cookie', `${SESSION_COOKIE}=; ${attributes(isHttps)}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`);
}

/** The session token in a Cookie header (a request's or a socket handshake's), or null. */
export function sessionFromCookieHeader(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}
