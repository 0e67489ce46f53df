import Router from '@koa/router';
import { ApiError, AuditAction, AuditTargetType } from '@jobflow/shared';
import { allow } from '../auth/access-policy';
import { pageQuery, queryId, queryString, queryTime, toPage } from '../http/query';
import { toAuditEntryDto, type AuditLog } from './audit.store';

/** `GET /api/audit` (admins): the audit log, newest first, filtered and keyset-paginated. */
export function auditRoutes(audit: AuditLog): Router {
  const router = new Router({ prefix: '/api/audit' });

  router.get('/', allow('audit.read'), async (ctx) => {
    const { limit, after } = pageQuery(ctx);
    const action = queryString(ctx, 'action');
    const targetType = queryString(ctx, 'targetType');
    if (action !== undefined && !AuditAction.safeParse(action).success) {
      throw new ApiError('bad_request', `Query parameter "action" must be one of ${AuditAction.options.join(', ')}.`);
    }
    if (targetType !== undefined && !AuditTargetType.safeParse(targetType).success) {
      throw new ApiError('bad_request', `Query parameter "targetType" must be one of ${AuditTargetType.options.join(', ')}.`);
    }
    const rows = await audit.list(
      {
        actor: queryId(ctx, 'actor', 'a user'),
        action: action as AuditAction | undefined,
        targetType: targetType as AuditTargetType | undefined,
        targetId: queryString(ctx, 'targetId'),
        since: queryTime(ctx, 'since'),
        until: queryTime(ctx, 'until'),
      },
      limit + 1,
      after,
    );
    ctx.body = toPage(rows, limit, toAuditEntryDto, (r) => [r.at, r.id]);
  });

  return router;
}
