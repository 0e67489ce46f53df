import type { Core } from '@jobflow/core';
import type { Keyring, Logger } from '@jobflow/core/platform';
import type { ServerConfig } from './config';

/** What every capability of the server is built from: the shared core, plus the server's own config and sockets. */
export interface AppDeps extends Omit<Core, 'close'> {
  config: ServerConfig;
  log: Logger;
  /** Seals the secrets of params and notification targets before they are stored. */
  keyring: Keyring;
  /** Disconnects the live sockets of a user or of one API token, on every server. */
  disconnect(target: { userId: string } | { tokenId: string }): void;
}
