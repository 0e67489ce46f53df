import type { EntityManager } from '@mikro-orm/postgresql';
import { defineStatement, type Sql, type Timestamp } from '@jobflow/core/db';
import type { UserRow } from '../users/users.queries';

export interface TokenRow {
  id: string;
  user_id: string;
  name: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

const TOKEN_COLUMNS = 'id, user_id, name, created_at, expires_at, last_used_at';

const createStatement = defineStatement<TokenRow, [userId: string, name: string, tokenHash: string, expiresAt: Date | null]>(
  'create_api_token',
  `insert into api_tokens (user_id, name, token_hash, expires_at) values ($1, $2, $3, $4) returning ${TOKEN_COLUMNS}`,
);

const listOfUserStatement = defineStatement<TokenRow, [userId: string, limit: number]>(
  'list_api_tokens_of_user',
  `select ${TOKEN_COLUMNS} from api_tokens where user_id = $1 order by created_at desc, id desc limit $2`,
);

const listOfUserAfterStatement = defineStatement<TokenRow, [userId: string, limit: number, at: string, id: string]>(
  'list_api_tokens_of_user_after',
  `select ${TOKEN_COLUMNS} from api_tokens where user_id = $1 and (created_at, id) < ($3, $4) order by created_at desc, id desc limit $2`,
);

const listAllStatement = defineStatement<TokenRow, [limit: number]>(
  'list_api_tokens',
  `select ${TOKEN_COLUMNS} from api_tokens order by created_at desc, id desc limit $1`,
);

const listAllAfterStatement = defineStatement<TokenRow, [limit: number, at: string, id: string]>(
  'list_api_tokens_after',
  `select ${TOKEN_COLUMNS} from api_tokens where (created_at, id) < ($2, $3) order by created_at desc, id desc limit $1`,
);

const getStatement = defineStatement<TokenRow, [tokenId: string]>('get_api_token', `select ${TOKEN_COLUMNS} from api_tokens where id = $1`);

const deleteStatement = defineStatement<{ id: string }, [tokenId: string]>('delete_api_token', `delete from api_tokens where id = $1 returning id`);

/** A token found by its hash, with its user: what authenticating a request with it needs. */
export type TokenPrincipalRow = UserRow & { token_hash: string; token_id: string; expires_at: Timestamp | null; last_used_at: Timestamp | null };

const byHashesStatement = defineStatement<TokenPrincipalRow, [tokenHashes: string]>(
  'find_api_tokens_by_hash',
  `select u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.session_generation, t.token_hash, t.id as token_id, t.expires_at, t.last_used_at
   from api_tokens t join users u on u.id = t.user_id where t.token_hash in (select json_array_elements_text($1::json))`,
);

const touchStatement = defineStatement<{ id: string }, [tokenId: string]>(
  'touch_api_token',
  `update api_tokens set last_used_at = now() where id = $1 returning id`,
);

/** The `api_tokens` table: personal API tokens, stored only as a SHA-256 hash of the secret. */
export const tokenQueries = {
  async create(sql: Sql, token: { userId: string; name: string; tokenHash: string; expiresAt: Date | null }): Promise<TokenRow> {
    const [row] = await sql(createStatement, [token.userId, token.name, token.tokenHash, token.expiresAt]);
    return row!;
  },

  /** Newest first, keyset-paginated on (created_at, id); `userId` null lists every user's. */
  list(sql: Sql, userId: string | null, limit: number, after: { at: string; id: string } | null): Promise<TokenRow[]> {
    if (userId === null) return after ? sql(listAllAfterStatement, [limit, after.at, after.id]) : sql(listAllStatement, [limit]);
    return after ? sql(listOfUserAfterStatement, [userId, limit, after.at, after.id]) : sql(listOfUserStatement, [userId, limit]);
  },

  async get(sql: Sql, tokenId: string): Promise<TokenRow | null> {
    return (await sql(getStatement, [tokenId]))[0] ?? null;
  },

  async remove(sql: Sql, tokenId: string): Promise<void> {
    await sql(deleteStatement, [tokenId]);
  },

  /** The tokens with these hashes, each with its user (the tokens of concurrent requests in one statement). */
  byHashes: (sql: Sql, tokenHashes: string[]) => sql(byHashesStatement, [JSON.stringify([...new Set(tokenHashes)])]),

  /** Records that the token was used just now. */
  async touch(sql: Sql, tokenId: string): Promise<void> {
    await sql(touchStatement, [tokenId]);
  },
};

/** Deletes every API token of the user within `em`'s transaction (a password reset that revokes them); returns their ids. */
export async function revokeTokensOf(em: EntityManager, userId: string): Promise<string[]> {
  const rows = await em
    .getConnection()
    .execute<{ id: string }[]>(`delete from api_tokens where user_id = ? returning id`, [userId], 'all', em.getTransactionContext());
  return rows.map((r) => r.id);
}
