import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '@jobflow/shared';
import { defineStatement, type Sql, type Timestamp } from '@jobflow/core/db';

/** A user as authentication reads it. */
export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  created_at: Timestamp;
  /** Moves on when every session of the user must end (password, role, disable, logout). */
  session_generation: number;
}

const USER_COLUMNS = 'id, email, name, role, disabled, created_at, session_generation';

const usersByIdsStatement = defineStatement<UserRow, [userIds: string]>(
  'find_users_by_ids',
  `select ${USER_COLUMNS} from users where id in (select json_array_elements_text($1::json)::uuid)`,
);

const userByEmailStatement = defineStatement<UserRow & { password_hash: string }, [email: string]>(
  'find_user_for_sign_in',
  `select ${USER_COLUMNS}, password_hash from users where email = $1`,
);

const namesByIdsStatement = defineStatement<{ id: string; name: string; email: string }, [userIds: string[]]>(
  'find_user_names_by_ids',
  `select id, name, email from users where id = any($1::uuid[])`,
);

const enabledNamesStatement = defineStatement<{ id: string; name: string; email: string }, [limit: number]>(
  'list_enabled_user_names',
  `select id, name, email from users where not disabled order by coalesce(nullif(name, ''), email) limit $1`,
);

/**
 * The `users` reads MikroORM does not make: authentication's, on every
 * request (the users of concurrent requests in one statement) and at
 * sign-in, and the names everyone may see (who started a run).
 * Users are otherwise created, changed and removed through MikroORM
 * (users.service.ts).
 */
export const userQueries = {
  /** The users with these ids (any order; unknown ids are left out). */
  byIds: (sql: Sql, userIds: string[]) => sql(usersByIdsStatement, [JSON.stringify([...new Set(userIds)])]),

  /** The names of these users (any order; unknown ids are left out). */
  namesByIds: (sql: Sql, userIds: string[]) => sql(namesByIdsStatement, [userIds]),

  /** The names of enabled users, by name, at most `limit`. */
  enabledNames: (sql: Sql, limit: number) => sql(enabledNamesStatement, [limit]),

  /** The user signing in with `email` (normalised: normalizeEmail), with the password hash to check. */
  async forSignIn(sql: Sql, email: string): Promise<(UserRow & { password_hash: string }) | null> {
    return (await sql(userByEmailStatement, [email]))[0] ?? null;
  },
};

/** Serialises, within `em`'s transaction, every change that could leave the install without an enabled admin. */
export const lockAdmins = (em: EntityManager) =>
  em.getConnection().execute(`select pg_advisory_xact_lock(hashtext('jobflow:admins'))`, [], 'all', em.getTransactionContext());

/** Ends every session of the user (their generation moves on), within `em`'s transaction if it has one. */
export const endSessionsOf = (em: EntityManager, userId: string) =>
  em.getConnection().execute(`update users set session_generation = session_generation + 1 where id = ?`, [userId], 'run', em.getTransactionContext());
