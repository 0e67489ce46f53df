import type { Redis } from 'ioredis';
import type { Db, LivePublisher, Logger, Orm, RunLifecycle, RunQueue } from '@jobflow/shared/node';
import type { ServerConfig } from './config';

/** What every capability of the server is built from. */
export interface AppDeps {
  config: ServerConfig;
  orm: Orm;
  db: Db;
  redis: Redis;
  queue: RunQueue;
  live: LivePublisher;
  lifecycle: RunLifecycle;
  log: Logger;
  /** Disconnects the live sockets of a user or of one API token, on every server. */
  disconnect(target: { userId: string } | { tokenId: string }): void;
}
