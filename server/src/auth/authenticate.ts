import type { Role } from '@jobflow/shared';
import { createBatcher, isUuid } from '@jobflow/core/db';
import type { AppDeps } from '../deps';
import { tokenQueries, type TokenPrincipalRow } from '../tokens/tokens.queries';
import { userQueries, type UserRow } from '../users/users.queries';
import { API_TOKEN_PREFIX, hashApiToken, sessionTokens } from './tokens';

/** Who is calling: a signed-in user, through a session or an API token. */
export interface Principal {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  /** The API token used, or null for a session token. */
  tokenId: string | null;
  /** When the credential stops working, if it expires. */
  expiresAt: Date | null;
}

const LAST_USED_RESOLUTION_MS = 60_000;

/** Lookups per statement: the requests authenticated at the same moment share one read. */
const MAX_LOOKUPS = 200;

export function createAuthenticator({ db, config, log }: Pick<AppDeps, 'db' | 'config' | 'log'>) {
  const sessions = sessionTokens(config.jwtSecret, config.jwtTtlSec);
  // Every request reads its user afresh (a disabled user or a revoked token is refused at once); concurrent reads go together.
  const userById = createBatcher<string, UserRow | null>({
    maxBatch: MAX_LOOKUPS,
    maxInFlight: 2,
    run: async (ids) => {
      const rows = await userQueries.byIds(db.sql, ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    },
  });
  const tokenByHash = createBatcher<string, TokenPrincipalRow | null>({
    maxBatch: MAX_LOOKUPS,
    maxInFlight: 2,
    run: async (hashes) => {
      const rows = await tokenQueries.byHashes(db.sql, hashes);
      const byHash = new Map(rows.map((r) => [r.token_hash, r]));
      return hashes.map((h) => byHash.get(h) ?? null);
    },
  });

  async function fromApiToken(token: string): Promise<Principal | null> {
    const row = await tokenByHash(hashApiToken(token));
    if (!row || row.disabled || (row.expires_at && new Date(row.expires_at).getTime() <= Date.now())) return null;
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > LAST_USED_RESOLUTION_MS) {
      tokenQueries.touch(db.sql, row.token_id).catch((e) => log.warn('could not record token use', { error: e }));
    }
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      role: row.role,
      createdAt: new Date(row.created_at),
      tokenId: row.token_id,
      expiresAt: row.expires_at ? new Date(row.expires_at) : null,
    };
  }

  async function fromSession(token: string): Promise<Principal | null> {
    const claims = await sessions.verify(token);
    if (!claims || !isUuid(claims.userId)) return null;
    const row = await userById(claims.userId);
    // A password change, role change, disable or logout moved the generation on: every earlier session is over.
    if (!row || row.disabled || row.session_generation !== claims.generation) return null;
    return { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: new Date(row.created_at), tokenId: null, expiresAt: claims.expiresAt };
  }

  return {
    sessions,
    authenticate: (token: string | undefined | null): Promise<Principal | null> =>
      !token ? Promise.resolve(null) : token.startsWith(API_TOKEN_PREFIX) ? fromApiToken(token) : fromSession(token),
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
