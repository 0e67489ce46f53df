import type { AuditAction } from '@jobflow/shared';
import type { AppDeps } from '../deps';
import type { AuditLog } from '../audit/audit.store';
import type { RouteHandlers } from '../http/api-router';
import { cursor, toPage } from '../http/query';
import { toUserDto } from './user.dto';
import type { UsersService } from './users.service';
import { userQueries } from './users.queries';

export function usersHandlers(
  deps: AppDeps,
  users: UsersService,
  audit: AuditLog,
): Pick<RouteHandlers, 'listUsers' | 'getUser' | 'createUser' | 'updateUser' | 'deleteUser'> {
  return {
    listUsers: async (_ctx, { query }) =>
      toPage(await users.list(query.limit + 1, cursor.decode(query.cursor)), query.limit, toUserDto, (u) => [u.createdAt, u.id]),

    getUser: async (_ctx, { params }) => toUserDto(await users.findOrThrow(params.id)),

    createUser: async (ctx, { body }) => {
      const user = await users.create(body);
      await audit.recordRequest(ctx, 'user.created', { type: 'user', id: user.id }, { email: user.email, role: user.role, name: user.name });
      return toUserDto(user);
    },

    updateUser: async (ctx, { params, body }) => {
      const { user, before, sessionsEnded, revokedTokenIds } = await users.update(params.id, body);
      if (user.disabled) deps.disconnect({ userId: user.id });
      else if (sessionsEnded) deps.disconnect({ sessionsOf: user.id });
      for (const tokenId of revokedTokenIds) deps.disconnect({ tokenId });
      const changes: Record<string, unknown> = {};
      for (const field of ['name', 'role', 'disabled'] as const) {
        if (before[field] !== user[field]) changes[field] = { before: before[field], after: user[field] };
      }
      if (body.password !== undefined) changes.password = { before: '****', after: '****' };
      if (revokedTokenIds.length) changes.revokedTokens = revokedTokenIds;
      if (sessionsEnded) changes.sessionsEnded = true;
      const action: AuditAction = before.disabled !== user.disabled ? (user.disabled ? 'user.disabled' : 'user.enabled') : 'user.changed';
      await audit.recordRequest(ctx, action, { type: 'user', id: user.id }, changes);
      return toUserDto(user);
    },

    deleteUser: async (ctx, { params }) => {
      const user = await users.remove(params.id);
      deps.disconnect({ userId: user.id });
      await audit.recordRequest(ctx, 'user.deleted', { type: 'user', id: user.id }, { email: user.email, role: user.role });
    },
  };
}

const MAX_PEOPLE = 1000;

/**
 * `GET /api/people?ids=a,b`: the display names of users, for every signed-in
 * user (who owns a job, who started a run); without `ids`, everyone enabled,
 * by name (a team's list to filter runs by who started them).
 */
export function peopleHandlers(deps: AppDeps): Pick<RouteHandlers, 'listPeople'> {
  return {
    listPeople: async (_ctx, { query: { ids } }) => {
      const rows = ids ? (ids.length ? await userQueries.namesByIds(deps.db.sql, ids) : []) : await userQueries.enabledNames(deps.db.sql, MAX_PEOPLE);
      return { items: rows.map((u) => ({ id: u.id, name: u.name || u.email })) };
    },
  };
}
