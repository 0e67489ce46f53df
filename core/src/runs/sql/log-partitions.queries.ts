import { defineStatement, type Sql, type Statement } from '../../db';
import { PURGEABLE } from './purge-runs.queries';

/** A week of stored lines: one partition of `run_logs`. */
export interface LogPartition {
  name: string;
  /** Its range of `stored_at`: `[from, to)`. */
  from: string;
  to: string;
  /** A detach that was interrupted and must be finished. */
  isDetachPending: boolean;
}

const ensurePartitionsStatement = defineStatement<{ name: string }, [fromAt: string, weeks: number]>(
  'ensure_log_partitions',
  `select run_logs_ensure_partitions($1::timestamptz, $2) as name`,
);

const listPartitionsStatement = defineStatement<{ name: string; bound: string; is_detach_pending: boolean }, []>(
  'list_log_partitions',
  `select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound, i.inhdetachpending as is_detach_pending
   from pg_inherits i join pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'run_logs'::regclass order by c.relname`,
);

const PARTITION_NAME = /^run_logs_w\d{8}$/;

/** One statement per partition and operation (partition names cannot be bound parameters), defined when first needed. */
const ddlStatements = new Map<string, Statement<unknown, []>>();
const keptStatements = new Map<string, Statement<{ kept: number }, [retentionDays: number | null]>>();

function checkedName(name: string): string {
  if (!PARTITION_NAME.test(name)) throw new Error(`not a partition of run_logs: ${name}`);
  return name;
}

function ddlStatement(operation: 'detach' | 'finalize' | 'drop', name: string): Statement<unknown, []> {
  const key = `${operation}_${checkedName(name)}`;
  let statement = ddlStatements.get(key);
  if (!statement) {
    const text = {
      detach: `alter table run_logs detach partition ${name} concurrently`,
      finalize: `alter table run_logs detach partition ${name} finalize`,
      drop: `drop table if exists ${name}`,
    }[operation];
    statement = defineStatement<unknown, []>(`log_partition_${key}`, text);
    ddlStatements.set(key, statement);
  }
  return statement;
}

function keptStatement(name: string) {
  let statement = keptStatements.get(checkedName(name));
  if (!statement) {
    // The runs with lines in the partition, found with one index probe each (a loose index scan), that must be kept.
    statement = defineStatement<{ kept: number }, [retentionDays: number | null]>(
      `log_partition_kept_${name}`,
      `with recursive ids as (
         (select run_id from ${name} order by run_id limit 1)
         union all
         select (select p.run_id from ${name} p where p.run_id > ids.run_id order by p.run_id limit 1) from ids where ids.run_id is not null)
       select count(*)::int as kept from ids join runs r on r.id = ids.run_id join jobs j on j.id = r.job_id
       where not (${PURGEABLE})`,
    );
    keptStatements.set(name, statement);
  }
  return statement;
}

/** Makes the weekly partitions from the week of `fromAt` to `weeks` weeks after it that do not exist yet; their names. */
export async function ensureLogPartitions(sql: Sql, fromAt: Date, weeks: number): Promise<string[]> {
  return (await sql(ensurePartitionsStatement, [fromAt.toISOString(), weeks])).map((r) => r.name);
}

/** The partitions of `run_logs`, oldest first. */
export async function listLogPartitions(sql: Sql): Promise<LogPartition[]> {
  const rows = await sql(listPartitionsStatement, []);
  return rows.map((r) => {
    const [from = '', to = ''] = [...r.bound.matchAll(/'([^']+)'/g)].map((m) => new Date(m[1]!).toISOString());
    return { name: r.name, from, to, isDetachPending: r.is_detach_pending };
  });
}

/** How many runs with lines in the partition must be kept (0: every line in it may go). */
export async function countKeptRunsIn(sql: Sql, name: string, retentionDays: number | null): Promise<number> {
  const [row] = await sql(keptStatement(name), [retentionDays]);
  return row?.kept ?? 0;
}

/**
 * Detaches the partition without blocking writers or readers of `run_logs`
 * (`concurrently`: it waits for the statements using it instead), then drops
 * it. A detach that an earlier attempt left pending is finished first.
 */
export async function dropLogPartition(sql: Sql, partition: LogPartition): Promise<void> {
  await sql(ddlStatement(partition.isDetachPending ? 'finalize' : 'detach', partition.name), []);
  await sql(ddlStatement('drop', partition.name), []);
}
