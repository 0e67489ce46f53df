import type { JobTypeInfo } from './job-type';
import { dataCheckInfo } from './data-check.info';
import { httpInfo } from './http.info';
import { shellInfo } from './shell.info';
import { sleepInfo } from './sleep.info';

export * from './job-type';
export * from './secret-fields';
export { shellInfo, sleepInfo };

/** Every built-in job type, by its `type`. Handlers live in the worker's catalog. */
export const jobTypeInfos = {
  shell: shellInfo,
  sleep: sleepInfo,
  http: httpInfo,
  'data-check': dataCheckInfo,
} as const satisfies Record<string, JobTypeInfo>;

export type JobTypeName = keyof typeof jobTypeInfos;

export const findJobTypeInfo = (type: string): JobTypeInfo | undefined =>
  Object.hasOwn(jobTypeInfos, type) ? (jobTypeInfos as Record<string, JobTypeInfo>)[type] : undefined;
