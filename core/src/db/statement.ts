/**
 * One hand-written SQL statement: its text, with `$1, $2, ...` placeholders,
 * and the name it is prepared under on each connection. `Row` is what each
 * returned row holds and `Params` the values bound to the placeholders, so a
 * call site cannot pass the wrong ones.
 *
 * Statements are defined once, at module load, in the `*.queries.ts` file of
 * the module that owns the table they write (ARCHITECTURE.md); the lint
 * configuration refuses `defineStatement` anywhere else.
 */
export interface Statement<Row, Params extends readonly unknown[]> {
  /** Prepared-statement name, unique per text across the process. */
  readonly name: string;
  readonly text: string;
  /** Carries the types only; never set. */
  readonly types?: { row: Row; params: Params };
}

/** Runs one statement and returns its rows. */
export type Sql = <Row, Params extends readonly unknown[]>(statement: Statement<Row, Params>, params: Params) => Promise<Row[]>;

const PREFIX = 'jf_';
/** PostgreSQL keeps identifiers (statement names included) to 63 bytes. */
const MAX_NAME_BYTES = 63;
const defined = new Map<string, string>();

/**
 * Defines a statement named `name` (lower-case words joined by `_`, e.g.
 * `claim_runs`). Defining one name with two different texts throws: a
 * connection would otherwise run the first text under the second's name.
 */
export function defineStatement<Row = Record<string, never>, Params extends readonly unknown[] = []>(name: string, text: string): Statement<Row, Params> {
  const fullName = PREFIX + name;
  if (!/^[a-z][a-z0-9_]*$/.test(name) || fullName.length > MAX_NAME_BYTES) {
    throw new Error(`statement name "${name}" must be lower-case words joined by _ and at most ${MAX_NAME_BYTES - PREFIX.length} characters`);
  }
  const known = defined.get(fullName);
  if (known !== undefined && known !== text) throw new Error(`two different statements are named "${name}"`);
  defined.set(fullName, text);
  return { name: fullName, text };
}
