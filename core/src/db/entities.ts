import { EntitySchema } from '@mikro-orm/core';
import type { NotificationEvent, Role, SchedulePolicyDto } from '@jobflow/shared';

/** A notification target as stored in `jobs.notifications`, secrets in full. */
export type StoredNotificationTarget =
  | { id: string; kind: 'webhook'; on: NotificationEvent[]; url: string; secret: string }
  | { id: string; kind: 'slack'; on: NotificationEvent[]; url: string }
  | { id: string; kind: 'email'; on: NotificationEvent[]; to: string[] };

/** A person who can sign in. */
export interface UserEntity {
  id: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  disabled: boolean;
  /** Moves on whenever the user's sessions must end (password, role or disable change, logout); a session carries the one it began with. */
  sessionGeneration: number;
  createdAt: Date;
  updatedAt: Date;
}

export const UserSchema = new EntitySchema<UserEntity>({
  name: 'User',
  tableName: 'users',
  properties: {
    id: { type: 'uuid', primary: true, defaultRaw: 'gen_random_uuid()' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    passwordHash: { type: 'string', hidden: true },
    disabled: { type: 'boolean' },
    sessionGeneration: { type: 'integer', default: 0 },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});

/** A job definition. */
export interface JobEntity {
  id: string;
  name: string;
  description: string;
  type: string;
  params: Record<string, unknown>;
  scheduleCron: string | null;
  scheduleTimezone: string | null;
  timeoutSec: number | null;
  maxAttempts: number;
  maxConcurrentRuns: number | null;
  scheduleOverlap: SchedulePolicyDto['overlap'];
  scheduleMissed: SchedulePolicyDto['missed'];
  schedulePaused: boolean;
  /** Due times count from here: when the schedule was set, changed or resumed. */
  scheduleSince: Date | null;
  /** Notification targets, secrets in full (the API masks them). */
  notifications: StoredNotificationTarget[];
  /** False: the job cannot be run and its schedule fires nothing. */
  enabled: boolean;
  tags: string[];
  /** Retention: the newest this many runs are kept (null: no limit by count). */
  keepRuns: number | null;
  /** Retention: finished runs older than this many days go (null: only RUN_RETENTION_DAYS applies). */
  keepDays: number | null;
  ownerId: string;
  /** Starts at 1 and grows by one with each change (MikroORM's optimistic lock: a change based on an older version fails). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const JobSchema = new EntitySchema<JobEntity>({
  name: 'Job',
  tableName: 'jobs',
  properties: {
    id: { type: 'uuid', primary: true, defaultRaw: 'gen_random_uuid()' },
    name: { type: 'string' },
    description: { type: 'text' },
    type: { type: 'string' },
    params: { type: 'json' },
    scheduleCron: { type: 'string', nullable: true },
    scheduleTimezone: { type: 'string', nullable: true },
    timeoutSec: { type: 'integer', nullable: true },
    maxAttempts: { type: 'integer' },
    maxConcurrentRuns: { type: 'integer', nullable: true },
    scheduleOverlap: { type: 'string' },
    scheduleMissed: { type: 'string' },
    schedulePaused: { type: 'boolean' },
    scheduleSince: { type: 'Date', nullable: true },
    notifications: { type: 'json' },
    enabled: { type: 'boolean', default: true },
    tags: { type: 'text[]', default: [] },
    keepRuns: { type: 'integer', nullable: true },
    keepDays: { type: 'integer', nullable: true },
    ownerId: { type: 'uuid' },
    version: { type: 'integer', version: true },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});

/**
 * The tables MikroORM maps: the definitions people edit through the API.
 * Every other table is written by hand-written statements (ARCHITECTURE.md).
 */
export const entities = [UserSchema, JobSchema];
