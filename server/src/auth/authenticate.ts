import type { Role } from '@jobflow/shared';
import { createBatcher, isUuid } from '@jobflow/core/db';
import type { AppDeps } from '../deps';
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

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  created_at: Date;
  session_generation: number;
}

/** Checks a bearer token of either kind against the store; null when it does not (or no longer) admit anyone. */
type TokenRow = UserRow & { token_hash: string; token_id: string; expires_at: Date | null; last_used_at: Date | null };

/** Lookups per statement: the requests authenticated at the same moment share one read. */
const MAX_LOOKUPS = 200;

export function createAuthenticator({ db, config, log }: Pick<AppDeps, 'db' | 'config' | 'log'>) {
  const sessions = sessionTokens(config.jwtSecret, config.jwtTtlSec);
  // Every request reads its user afresh (a disabled user or a revoked token is refused at once); concurrent reads go together.
  const userById = createBatcher<string, UserRow | null>({
    maxBatch: MAX_LOOKUPS,
    maxInFlight: 2,
    run: async (ids) => {
      const rows = await db.sql<UserRow>(
        `select id, email, name, role, disabled, created_at, session_generation from users where id in (select json_array_elements_text(?::json)::uuid)`,
        [JSON.stringify([...new Set(ids)])],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    },
  });
  const tokenByHash = createBatcher<string, TokenRow | null>({
    maxBatch: MAX_LOOKUPS,
    maxInFlight: 2,
    run: async (hashes) => {
      const rows = await db.sql<TokenRow>(
        `select u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.session_generation, t.token_hash, t.id as token_id, t.expires_at, t.last_used_at
         from api_tokens t join users u on u.id = t.user_id where t.token_hash in (select json_array_elements_text(?::json))`,
        [JSON.stringify([...new Set(hashes)])],
      );
      const byHash = new Map(rows.map((r) => [r.token_hash, r]));
      return hashes.map((h) => byHash.get(h) ?? null);
    },
  });

  async function fromApiToken(token: string): Promise<Principal | null> {
    const row = await tokenByHash(hashApiToken(token));
    if (!row || row.disabled || (row.expires_at && new Date(row.expires_at).getTime() <= Date.now())) return null;
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > LAST_USED_RESOLUTION_MS) {
      db.sql(`update api_tokens set last_used_at = now() where id = ?`, [row.token_id]).catch((e) => log.warn('could not record token use', { error: e }));
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
