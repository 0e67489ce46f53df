import type { JobParams, JobTypeName } from '@jobflow/shared';
import type { Egress } from '@jobflow/core/platform';
import { createDataCheckHandler } from './data-check.job-type';
import { createHttpHandler } from './http.job-type';
import type { JobHandler } from './job-handler';
import { shellHandler } from './shell.job-type';
import { sleepHandler } from './sleep.job-type';

/** One handler per job type, each taking the params its type's schema describes. */
export type HandlerCatalog = { [K in JobTypeName]: JobHandler<JobParams[K]> };

/**
 * The handler of every job type, by `type`. The type's info (schema, title,
 * adminOnly) lives in @jobflow/shared's `jobTypeInfos`; the compiler insists
 * on one handler here per type listed there, taking that type's params.
 */
export const createHandlers = (egress: Egress, options: { patternBudgetMs?: number } = {}): HandlerCatalog => ({
  shell: shellHandler,
  sleep: sleepHandler,
  http: createHttpHandler({ egress }),
  'data-check': createDataCheckHandler({ egress, patternBudgetMs: options.patternBudgetMs }),
});
