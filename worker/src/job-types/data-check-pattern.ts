import v8 from 'node:v8';
import vm from 'node:vm';

/*
 * V8's linear-time regular expression engine: the first flag lets a pattern
 * be compiled for it (the `l` flag), which tells whether it can run that
 * pattern at all; with the second, a backtracking match that backtracks
 * excessively is finished by the linear engine instead. Patterns come from
 * users, and one with nested quantifiers (`^(a+)+$`) would otherwise hold the
 * worker's event loop for minutes on a 40-character value.
 */
v8.setFlagsFromString('--enable-experimental-regexp-engine');
v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

/** V8's flag for a pattern compiled for the linear engine (known to V8 once the flag above is set). */
const LINEAR_ENGINE_FLAG = 'l';

/**
 * How long a match the linear engine cannot take over may run on one value
 * before the check fails. It runs on the worker's event loop, so it is kept
 * well under 100 ms; the run's total for such matches is bounded by a MatchBudget.
 */
export const GUARDED_MATCH_TIMEOUT_MS = 80;

/** Time a data-check run may spend in guarded matches, shared by all its patterns. */
export interface MatchBudget {
  /** The total, for messages. */
  readonly totalMs: number;
  remainingMs: number;
}

export const matchBudget = (totalMs: number): MatchBudget => ({ totalMs, remainingMs: totalMs });

/** Patterns whose meaning needs the `u` flag: non-ASCII text, `\p{…}`, `\u{…}` (the linear engine has no `u` mode). */
const NEEDS_UNICODE_MODE = /[^\x00-\x7f]|\\[pP]\{|\\u\{/;
/** Values with astral characters, which `u` and non-`u` patterns read differently. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** The guarded match, run in a pattern's own context (`re`, `text`). */
const GUARDED_MATCH = new vm.Script('re.test(text)');

/** The run's guarded matches used up its MatchBudget. */
export class PatternBudgetError extends Error {
  constructor(source: string, budget: MatchBudget) {
    super(
      `matching /${source}/ and the other patterns that need guarded matching took over ${budget.totalMs} ms in total (DATA_CHECK_PATTERN_BUDGET_MS); simplify the patterns or check fewer rows`,
    );
    this.name = new.target.name;
  }
}

/** A match took longer than GUARDED_MATCH_TIMEOUT_MS and was stopped. */
export class PatternTimeoutError extends Error {
  constructor(source: string) {
    super(`matching /${source}/ took over ${GUARDED_MATCH_TIMEOUT_MS} ms on one value (the pattern backtracks catastrophically); simplify it`);
    this.name = new.target.name;
  }
}

/**
 * Compiles a user's pattern (with `u` semantics; throws SyntaxError when it
 * is not valid) into a test whose time is bounded:
 * - a pattern the linear engine can run is tested natively, falling back to
 *   linear time when it backtracks too much;
 * - anything else (backreferences, lookarounds, `u`-only syntax, values with
 *   astral characters) is tested in a VM context with a timeout, and throws
 *   PatternTimeoutError instead of blocking the worker.
 */
export function compilePattern(source: string, budget: MatchBudget = matchBudget(Infinity)): (text: string) => boolean {
  const unicode = new RegExp(source, 'u');
  const linear = !NEEDS_UNICODE_MODE.test(source) && canRunInLinearTime(source) ? new RegExp(source) : null;
  // Made on first use: most patterns never need it.
  let context: vm.Context | null = null;
  const guarded = (text: string): boolean => {
    context ??= vm.createContext({ re: unicode, text: '' });
    context.text = text;
    if (budget.remainingMs <= 0) throw new PatternBudgetError(source, budget);
    const timeout = Math.max(1, Math.ceil(Math.min(GUARDED_MATCH_TIMEOUT_MS, budget.remainingMs)));
    const startedAt = performance.now();
    try {
      return GUARDED_MATCH.runInContext(context, { timeout }) === true;
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
      throw timeout < GUARDED_MATCH_TIMEOUT_MS ? new PatternBudgetError(source, budget) : new PatternTimeoutError(source);
    } finally {
      budget.remainingMs -= performance.now() - startedAt;
    }
  };
  return (text) => (linear && !SURROGATE.test(text) ? linear.test(text) : guarded(text));
}

function canRunInLinearTime(source: string): boolean {
  try {
    new RegExp(source, LINEAR_ENGINE_FLAG);
    return true;
  } catch {
    return false;
  }
}
