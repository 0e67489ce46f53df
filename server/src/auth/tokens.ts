import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

/** Personal API tokens start with this prefix. */
export const API_TOKEN_PREFIX = 'jf_';

export const newApiTokenSecret = () => API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
export const hashApiToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface SessionClaims {
  userId: string;
  /** The user's session generation when the session began; a later one ends it. */
  generation: number;
  expiresAt: Date;
}

/** Verified session tokens remembered (a signature check costs far more than a lookup). */
const VERIFIED_CACHE_SIZE = 10_000;

export function sessionTokens(secret: string, ttlSec: number) {
  const raw = new TextEncoder().encode(secret);
  // Imported once: given raw bytes, jose would import the key again for every token.
  const key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  /** Tokens whose signature checked out: the answer for a token never changes, only its expiry comes. */
  const verified = new Map<string, SessionClaims>();
  return {
    async sign(userId: string, generation: number): Promise<{ token: string; expiresAt: Date }> {
      const expiresAt = new Date(Math.floor(Date.now() / 1000 + ttlSec) * 1000);
      const token = await new SignJWT({ gen: generation })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(await key);
      return { token, expiresAt };
    },
    /** The claims of a valid, unexpired session token, else null. */
    async verify(token: string): Promise<SessionClaims | null> {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAt.getTime() > Date.now()) return known;
        verified.delete(token);
        return null;
      }
      let claims: SessionClaims;
      try {
        const { payload } = await jwtVerify(token, await key, { algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number' || !Number.isSafeInteger(payload.gen)) return null;
        claims = { userId: payload.sub, generation: payload.gen as number, expiresAt: new Date(payload.exp * 1000) };
      } catch {
        return null;
      }
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
      return claims;
    },
  };
}
