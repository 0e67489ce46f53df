import { defineStatement, type Sql, type Timestamp } from '@jobflow/core/db';

/** A remembered request: who sent which key, a digest of the request, and what it answered once it had. */
export interface IdempotencyRow {
  fingerprint: string;
  /** Null while the first request with the key is still being answered. */
  status: number | null;
  response: unknown;
  created_at: Timestamp;
}

const claimStatement = defineStatement<{ claimed: boolean }, [userId: string, key: string, fingerprint: string, ttlSec: number, abandonedSec: number]>(
  'claim_idempotency_key',
  // A key older than the window counts as new, and so does a claim left unanswered for longer than any
  // request takes (its server stopped in the middle): its row is taken over.
  `insert into idempotency_keys (user_id, key, fingerprint) values ($1, $2, $3)
   on conflict (user_id, key) do update set fingerprint = excluded.fingerprint, status = null, response = null, created_at = now()
     where idempotency_keys.created_at < now() - $4 * interval '1 second'
        or (idempotency_keys.status is null and idempotency_keys.created_at < now() - $5 * interval '1 second')
   returning true as claimed`,
);

const readStatement = defineStatement<IdempotencyRow, [userId: string, key: string]>(
  'read_idempotency_key',
  `select fingerprint, status, response, created_at from idempotency_keys where user_id = $1 and key = $2`,
);

const answerStatement = defineStatement<Record<string, never>, [userId: string, key: string, status: number, response: string]>(
  'answer_idempotency_key',
  `update idempotency_keys set status = $3, response = $4::jsonb where user_id = $1 and key = $2`,
);

const releaseStatement = defineStatement<Record<string, never>, [userId: string, key: string]>(
  'release_idempotency_key',
  `delete from idempotency_keys where user_id = $1 and key = $2 and status is null`,
);

const purgeStatement = defineStatement<{ key: string }, [ttlSec: number, batch: number]>(
  'purge_idempotency_keys',
  `delete from idempotency_keys where (user_id, key) in (
     select user_id, key from idempotency_keys where created_at < now() - $1 * interval '1 second' order by created_at limit $2 for update skip locked
   ) returning key`,
);

/** The `idempotency_keys` table. */
export const idempotencyQueries = {
  /** Takes the key for this request; false when another request (within the window, and answered or still being answered) has it. */
  async claim(sql: Sql, userId: string, key: string, fingerprint: string, ttlSec: number, abandonedSec: number): Promise<boolean> {
    return (await sql(claimStatement, [userId, key, fingerprint, ttlSec, abandonedSec])).length > 0;
  },
  async read(sql: Sql, userId: string, key: string): Promise<IdempotencyRow | null> {
    return (await sql(readStatement, [userId, key]))[0] ?? null;
  },
  async answer(sql: Sql, userId: string, key: string, status: number, response: unknown): Promise<void> {
    await sql(answerStatement, [userId, key, status, JSON.stringify(response)]);
  },
  /** Forgets a key whose request failed, so a retry is a new attempt. */
  async release(sql: Sql, userId: string, key: string): Promise<void> {
    await sql(releaseStatement, [userId, key]);
  },
  /** Deletes up to `batch` keys older than the window; returns how many. */
  async purge(sql: Sql, ttlSec: number, batch: number): Promise<number> {
    return (await sql(purgeStatement, [ttlSec, batch])).length;
  },
};
