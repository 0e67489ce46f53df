import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

/** Personal API tokens start with this prefix. */
export const API_TOKEN_PREFIX = 'jf_';

export const newApiTokenSecret = () => API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
export const hashApiToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface SessionClaims {
  userId: string;
  expiresAt: Date;
}

export function sessionTokens(secret: string, ttlSec: number) {
  const key = new TextEncoder().encode(secret);
  return {
    async sign(userId: string): Promise<{ token: string; expiresAt: Date }> {
      const expiresAt = new Date(Math.floor(Date.now() / 1000 + ttlSec) * 1000);
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key);
      return { token, expiresAt };
    },
    /** The claims of a valid, unexpired session token, else null. */
    async verify(token: string): Promise<SessionClaims | null> {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null;
        return { userId: payload.sub, expiresAt: new Date(payload.exp * 1000) };
      } catch {
        return null;
      }
    },
  };
}
