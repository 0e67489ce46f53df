import { Migration20261128000000 } from './Migration20261128000000';
import { Migration20261128100000 } from './Migration20261128100000';
import { Migration20261128110000 } from './Migration20261128110000';
import { Migration20261130141700_secret_seals } from './Migration20261130141700_secret_seals';
import { Migration20261130150000_run_attempts } from './Migration20261130150000_run_attempts';
import { Migration20261130170000_queued_due_index } from './Migration20261130170000_queued_due_index';
import { Migration20261201100000AuthSessions } from './Migration20261201100000AuthSessions';
import { Migration20261201110000AuditLog } from './Migration20261201110000AuditLog';
import { Migration20261201120000OwnerPause } from './Migration20261201120000OwnerPause';
import { Migration20261202100000_job_version_idempotency } from './Migration20261202100000_job_version_idempotency';
import { Migration20261202400000_run_artifacts } from './Migration20261202400000_run_artifacts';
import { Migration20261202200000_workers } from './Migration20261202200000_workers';
import { Migration20261202300000_job_enabled_tags } from './Migration20261202300000_job_enabled_tags';
import { Migration20261202500000_retention_search } from './Migration20261202500000_retention_search';
import { Migration20261202600000_sweep_leases } from './Migration20261202600000_sweep_leases';
import { Migration20261203140000_artifacts_more_object_deletions } from './Migration20261203140000_artifacts_more_object_deletions';

/** Every migration, in order. A new migration is one file plus one line here. */
export const migrations = [
  { name: 'Migration20261128000000', class: Migration20261128000000 },
  { name: 'Migration20261128100000', class: Migration20261128100000 },
  { name: 'Migration20261128110000', class: Migration20261128110000 },
  { name: 'Migration20261130141700_secret_seals', class: Migration20261130141700_secret_seals },
  { name: 'Migration20261130150000_run_attempts', class: Migration20261130150000_run_attempts },
  { name: 'Migration20261130170000_queued_due_index', class: Migration20261130170000_queued_due_index },
  { name: 'Migration20261201100000AuthSessions', class: Migration20261201100000AuthSessions },
  { name: 'Migration20261201110000AuditLog', class: Migration20261201110000AuditLog },
  { name: 'Migration20261201120000OwnerPause', class: Migration20261201120000OwnerPause },
  { name: 'Migration20261202100000_job_version_idempotency', class: Migration20261202100000_job_version_idempotency },
  { name: 'Migration20261202400000_run_artifacts', class: Migration20261202400000_run_artifacts },
  { name: 'Migration20261202200000_workers', class: Migration20261202200000_workers },
  { name: 'Migration20261202300000_job_enabled_tags', class: Migration20261202300000_job_enabled_tags },
  { name: 'Migration20261202500000_retention_search', class: Migration20261202500000_retention_search },
  { name: 'Migration20261202600000_sweep_leases', class: Migration20261202600000_sweep_leases },
  { name: 'Migration20261203140000_artifacts_more_object_deletions', class: Migration20261203140000_artifacts_more_object_deletions },
];
