import { afterAll, describe, expect, it } from 'vitest';
import { createEgress } from '@jobflow/core/platform';
import { GUARDED_MATCH_TIMEOUT_MS, compilePattern } from './data-check-pattern';
import { createDataCheckHandler, type DataCheckParams } from './data-check.job-type';
import { NonRetryableError } from './job-handler';
import { failure, makeContext } from './job-context.testing';

const egress = createEgress();
afterAll(() => egress.close());

// A lookahead keeps the pattern off V8's linear engine, so it runs guarded; on `a…ab` it backtracks
// exponentially in the number of a's, so the length sets how long one value takes.
const PATTERN = '^(?=(a+)+$)';
const slowValue = (n: number) => `${'a'.repeat(n)}b`;

/** A value whose guarded match takes about 1/64 of the per-value limit on this machine, once V8 has compiled the pattern. */
function valueUnderTheLimit(): string {
  const test = compilePattern(PATTERN);
  for (let n = 10; n < 40; n++) {
    for (let i = 0; i < 5; i++) test(slowValue(n));
    let slowest = 0;
    for (let i = 0; i < 3; i++) {
      const startedAt = performance.now();
      test(slowValue(n));
      slowest = Math.max(slowest, performance.now() - startedAt);
    }
    if (slowest >= GUARDED_MATCH_TIMEOUT_MS / 64) return slowValue(n);
  }
  throw new Error('the pattern never got slow');
}

describe('data-check guarded patterns', () => {
  it('bound the whole run, not each value: values just under the limit that add up fail the run, and the event loop keeps turning', async () => {
    const value = valueUnderTheLimit();
    const rows = 3000;
    const content = ['code', ...Array.from({ length: rows }, () => value)].join('\n');
    const handler = createDataCheckHandler({ egress, patternBudgetMs: 300 });
    const { ctx } = makeContext<DataCheckParams>({ content, columns: { code: { pattern: PATTERN } }, maxViolations: rows });

    // The event loop's longest stretch without a turn, in CPU time rather than wall time, so that a
    // machine busy with other processes (which delays timers without this process doing anything) does
    // not count as the loop being held.
    let lastCpuUs = process.cpuUsage().user;
    let longestHeldMs = 0;
    const heartbeat = setInterval(() => {
      const cpuUs = process.cpuUsage().user;
      longestHeldMs = Math.max(longestHeldMs, (cpuUs - lastCpuUs) / 1000);
      lastCpuUs = cpuUs;
    }, 20);
    const error = await failure(handler(ctx));
    clearInterval(heartbeat);
    longestHeldMs = Math.max(longestHeldMs, (process.cpuUsage().user - lastCpuUs) / 1000);

    expect(error).toBeInstanceOf(NonRetryableError);
    // Nearly always the run's budget; on a heavily loaded machine one value may instead pass the per-value limit first.
    expect(error.message, error.message).toMatch(
      /^row \d+ \(line \d+\): column "code": matching \/\^\(\?=\(a\+\)\+\$\)\/ (and the other patterns that need guarded matching took over 300 ms in total|took over 80 ms on one value)/,
    );
    // A correctness bound, loose on purpose: one value's match (80 ms) plus one slice (40 ms) is the most
    // the loop is held; before the budget, the whole run held it (seconds).
    expect(longestHeldMs).toBeLessThan(500);
  });
});
