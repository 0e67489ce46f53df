import type Koa from 'koa';
import { ApiError, type RouteAction } from '@jobflow/shared';
import type { Principal } from './authenticate';

/**
 * Who can stand in a relation to what is acted on: any signed-in user, an
 * admin, the job's owner, the user who started the run, the token's owner.
 */
export type Relation = 'signedIn' | 'admin' | 'jobOwner' | 'runStarter' | 'tokenOwner';

interface Rule {
  /** Any one of these relations allows the action. */
  allow: readonly Relation[];
  /** What a caller who may not is told (403). */
  denied: string;
}

/**
 * Every role and ownership decision of the API and the live gateway, as one
 * table: action → who may. Routes and socket handlers ask `authorize`; the
 * authorization test is generated from this same table.
 */
export const accessPolicy = {
  'auth.me': { allow: ['signedIn'], denied: '' },
  'auth.logout': { allow: ['signedIn'], denied: '' },
  'users.list': { allow: ['admin'], denied: 'Only admins may list users.' },
  'users.read': { allow: ['admin'], denied: 'Only admins may read users.' },
  'users.create': { allow: ['admin'], denied: 'Only admins may create users.' },
  'users.update': { allow: ['admin'], denied: 'Only admins may change users.' },
  'users.delete': { allow: ['admin'], denied: 'Only admins may delete users.' },
  'people.list': { allow: ['signedIn'], denied: '' },
  'tokens.create': { allow: ['signedIn'], denied: '' },
  'tokens.listOwn': { allow: ['signedIn'], denied: '' },
  'tokens.listOthers': { allow: ['admin'], denied: "Only admins may list other users' tokens." },
  'tokens.revoke': { allow: ['admin', 'tokenOwner'], denied: 'Only its owner or an admin may revoke a token.' },
  'jobTypes.list': { allow: ['signedIn'], denied: '' },
  'jobs.list': { allow: ['signedIn'], denied: '' },
  'jobs.read': { allow: ['signedIn'], denied: '' },
  'jobs.create': { allow: ['signedIn'], denied: '' },
  'jobs.createAdminOnlyType': { allow: ['admin'], denied: 'Only admins may create jobs of this type.' },
  'jobs.update': { allow: ['admin', 'jobOwner'], denied: 'Only the job owner or an admin may do this.' },
  'jobs.changeAdminOnlyParams': { allow: ['admin'], denied: 'Only admins may change the params of jobs of this type.' },
  'jobs.changeOwner': { allow: ['admin'], denied: 'Only admins may give a job to another owner.' },
  'jobs.delete': { allow: ['admin', 'jobOwner'], denied: 'Only the job owner or an admin may do this.' },
  'schedules.read': { allow: ['signedIn'], denied: '' },
  'schedules.pause': { allow: ['admin', 'jobOwner'], denied: 'Only the job owner or an admin may do this.' },
  'runs.list': { allow: ['signedIn'], denied: '' },
  'runs.read': { allow: ['signedIn'], denied: '' },
  'runs.start': { allow: ['signedIn'], denied: '' },
  'runs.startWithAdminOnlyParams': { allow: ['admin'], denied: 'Only admins may change the params of runs of this type.' },
  'runs.rerun': { allow: ['signedIn'], denied: '' },
  'runs.export': { allow: ['signedIn'], denied: '' },
  'artifacts.list': { allow: ['signedIn'], denied: '' },
  'artifacts.read': { allow: ['signedIn'], denied: '' },
  'runs.cancel': { allow: ['admin', 'jobOwner', 'runStarter'], denied: 'Only the job owner, the user who started the run, or an admin may cancel it.' },
  'workers.list': { allow: ['signedIn'], denied: '' },
  'workers.drain': { allow: ['admin'], denied: 'Only admins may drain or resume workers.' },
  'logs.search': { allow: ['signedIn'], denied: '' },
  'audit.read': { allow: ['admin'], denied: 'Only admins may read the audit log.' },
  'live.subscribe': { allow: ['signedIn'], denied: '' },
} as const satisfies Record<string, Rule>;

export type Action = keyof typeof accessPolicy;

/** Every action a route of the contract (`apiRoutes` in @jobflow/shared) names is one of this table's: a compile error otherwise. */
export const routeActionsAreKnown: [Exclude<RouteAction, Action>] extends [never] ? true : never = true;

/** Whether deciding `action` needs the resource (an ownership relation), so only the handler, having read it, can decide. */
export const needsResource = (action: Action): boolean =>
  accessPolicy[action].allow.some((relation: Relation) => relation !== 'signedIn' && relation !== 'admin');

/** What an action is done to, as far as ownership goes. */
export interface Resource {
  jobOwnerId?: string;
  runStarterId?: string | null;
  tokenOwnerId?: string;
}

const holds = (relation: Relation, who: Principal, resource: Resource): boolean => {
  switch (relation) {
    case 'signedIn':
      return true;
    case 'admin':
      return who.role === 'admin';
    case 'jobOwner':
      return resource.jobOwnerId !== undefined && resource.jobOwnerId === who.id;
    case 'runStarter':
      return resource.runStarterId != null && resource.runStarterId === who.id;
    case 'tokenOwner':
      return resource.tokenOwnerId !== undefined && resource.tokenOwnerId === who.id;
  }
};

/** Whether `who` may do `action` to `resource`. */
export function can(who: Principal | null | undefined, action: Action, resource: Resource = {}): boolean {
  if (!who) return false;
  return accessPolicy[action].allow.some((relation: Relation) => holds(relation, who, resource));
}

/** Throws 401 for no caller, 403 (with the rule's message) for a caller who may not. */
export function authorize(who: Principal | null | undefined, action: Action, resource: Resource = {}): asserts who is Principal {
  if (!who) throw new ApiError('unauthorized', 'Sign in first: send "Authorization: Bearer <token>".');
  if (!can(who, action, resource)) throw new ApiError('forbidden', accessPolicy[action].denied || 'You may not do this.');
}

/** Route middleware for an action that depends on no resource (admin-only screens and lists). */
export const allow =
  (action: Action): Koa.Middleware =>
  async (ctx, next) => {
    authorize(ctx.state.principal, action);
    return next();
  };
