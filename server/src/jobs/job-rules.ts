import { ApiError, findJobTypeInfo, scheduleProblems, validateParams, type JobTypeInfo, type ScheduleDto } from '@jobflow/shared';
import { authorize, type Action } from '../auth/access-policy';
import type { Principal } from '../auth/authenticate';

/** The job type named `type`, or a 422 naming the field. */
export function jobTypeOrThrow(type: string, path = '/type'): JobTypeInfo {
  const info = findJobTypeInfo(type);
  if (!info) throw new ApiError('validation_failed', `Unknown job type "${type}".`, [{ path, message: `unknown job type "${type}"` }]);
  return info;
}

/** Params valid for the type, or a 422 with every problem. */
export function checkParams(info: JobTypeInfo, params: unknown, prefix = '/params'): void {
  const details = validateParams(info, params, prefix);
  if (details.length) throw new ApiError('validation_failed', `The params do not match the "${info.type}" job type's schema.`, details);
}

/** What an admin-only job type restricts: defining its jobs, changing their params, or a run's. */
export type AdminOnlyTypeAction = Extract<Action, 'jobs.createAdminOnlyType' | 'jobs.changeAdminOnlyParams' | 'runs.startWithAdminOnlyParams'>;

/** Jobs of an admin-only type: the access policy decides who may define them or change their params. */
export function checkTypeAccess(info: JobTypeInfo, who: Principal, action: AdminOnlyTypeAction): void {
  if (info.adminOnly) authorize(who, action);
}

export function checkSchedule(schedule: ScheduleDto | null | undefined): void {
  const problems = scheduleProblems(schedule);
  if (problems.length) throw new ApiError('validation_failed', 'The schedule is not valid.', problems);
}
