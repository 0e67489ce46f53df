import type { RouteHandlers } from '../http/api-router';
import { cursor, toPage } from '../http/query';
import { toAuditEntryDto, type AuditLog } from './audit.store';

/** `GET /api/audit` (admins): the audit log, newest first, filtered and keyset-paginated. */
export function auditHandlers(audit: AuditLog): Pick<RouteHandlers, 'listAudit'> {
  return {
    listAudit: async (_ctx, { query }) => {
      const rows = await audit.list(
        {
          actor: query.actor,
          action: query.action,
          targetType: query.targetType,
          targetId: query.targetId,
          since: query.since === undefined ? undefined : new Date(query.since),
          until: query.until === undefined ? undefined : new Date(query.until),
        },
        query.limit + 1,
        cursor.decode(query.cursor),
      );
      return toPage(rows, query.limit, toAuditEntryDto, (r) => [r.at, r.id]);
    },
  };
}
