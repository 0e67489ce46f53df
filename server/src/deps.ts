import type { Core } from '@jobflow/core';
import type { Keyring, Logger } from '@jobflow/core/platform';
import type { ServerConfig } from './config';

export type DisconnectTarget = { userId: string } | { sessionsOf: string } | { tokenId: string };

/** What every capability of the server is built from: the shared core, plus the server's own config and sockets. */
export interface AppDeps extends Omit<Core, 'close' | 'sweeper'> {
  config: ServerConfig;
  log: Logger;
  /** Seals the secrets of params and notification targets before they are stored. */
  keyring: Keyring;
  /** Disconnects live sockets on every server: all of a user's, those of their sessions (not their API tokens'), or one API token's. */
  disconnect(target: DisconnectTarget): void;
}
