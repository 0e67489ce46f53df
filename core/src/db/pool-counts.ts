import type { PoolCounts } from '../platform';
import type { Orm } from './orm';

/** The pool Knex keeps under the ORM (tarn). */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/** Connections of the ORM's pool right now: lent out, idle, and requests waiting for one. */
export function poolCounts(orm: Orm): PoolCounts {
  const pool = (orm.em.getConnection().getKnex().client as { pool?: TarnPool }).pool;
  return pool ? { used: pool.numUsed(), idle: pool.numFree(), waiting: pool.numPendingAcquires() } : { used: 0, idle: 0, waiting: 0 };
}
