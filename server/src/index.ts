export { createApp, type App } from './app';
export { loadServerConfig, type ServerConfig } from './config';
export { createUsersService } from './users/users.service';
export { accessPolicy, can, type Action, type Relation } from './auth/access-policy';
export { createAuditLog, type AuditLog } from './audit/audit.store';
export { createIdempotency, fingerprintOf, IDEMPOTENCY_ABANDONED_SEC, IDEMPOTENCY_WINDOW_SEC } from './idempotency/idempotency.store';
export { buildOpenApi } from './docs/openapi';
