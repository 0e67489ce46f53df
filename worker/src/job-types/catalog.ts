import type { JobTypeName } from '@jobflow/shared';
import type { Egress } from '@jobflow/core/platform';
import { createDataCheckHandler } from './data-check.job-type';
import { createHttpHandler } from './http.job-type';
import type { JobHandler } from './job-handler';
import { shellHandler } from './shell.job-type';
import { sleepHandler } from './sleep.job-type';

export type HandlerCatalog = { [K in JobTypeName]: JobHandler<never> };

/**
 * The handler of every job type, by `type`. The type's info (schema, title,
 * adminOnly) lives in @jobflow/shared's `jobTypeInfos`; the compiler insists
 * on one handler here per type listed there.
 */
export const createHandlers = (egress: Egress, options: { patternBudgetMs?: number } = {}): HandlerCatalog => ({
  shell: shellHandler as JobHandler<never>,
  sleep: sleepHandler as JobHandler<never>,
  http: createHttpHandler({ egress }) as JobHandler<never>,
  'data-check': createDataCheckHandler({ egress, patternBudgetMs: options.patternBudgetMs }) as JobHandler<never>,
});
