import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Everything the command takes from its environment; the only place that reads it. */
export interface CliEnv {
  /** `JOBFLOW_URL`: the server to talk to; overrides the stored one. */
  url: string | undefined;
  /** `JOBFLOW_TOKEN`: a personal API token (`jf_...`) or session token; overrides the stored one. */
  token: string | undefined;
  /** Where `jobflow login` keeps its config file. */
  configFile: string;
  /** `NO_COLOR` set and non-empty: never colour. */
  isNoColor: boolean;
  /** `FORCE_COLOR`: true/false to force colour on or off, undefined to follow the terminal. */
  forceColor: boolean | undefined;
  /** `TERM=dumb`. */
  isDumbTerminal: boolean;
  /**
   * `JOBFLOW_RETRY_SEC`: how long a request that is safe to repeat is tried
   * again while the server restarts (default 60; 0: never); NaN when it is
   * not a whole number.
   */
  retrySec: number;
}

/** How long requests are tried again when `JOBFLOW_RETRY_SEC` does not say. */
export const DEFAULT_RETRY_SEC = 60;

/** The server used when neither `JOBFLOW_URL` nor a login says otherwise. */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

const nonEmpty = (value: string | undefined) => (value && value.trim() ? value.trim() : undefined);

export function readEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const configHome = nonEmpty(env.XDG_CONFIG_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), '.config');
  const force = nonEmpty(env.FORCE_COLOR);
  return {
    url: nonEmpty(env.JOBFLOW_URL),
    token: nonEmpty(env.JOBFLOW_TOKEN),
    configFile: join(configHome, 'jobflow', 'config.json'),
    isNoColor: nonEmpty(env.NO_COLOR) !== undefined,
    forceColor: force === undefined ? undefined : force !== '0' && force !== 'false',
    isDumbTerminal: env.TERM === 'dumb',
    retrySec: retrySecOf(nonEmpty(env.JOBFLOW_RETRY_SEC)),
  };
}

const retrySecOf = (value: string | undefined) => (value === undefined ? DEFAULT_RETRY_SEC : /^\d+$/.test(value) ? Number(value) : NaN);

/** What `jobflow login` stores: the server and a personal API token for it. */
export interface StoredConfig {
  url: string;
  token: string;
  /** The token's id, so `jobflow logout` can revoke it. */
  tokenId?: string;
  /** Who signed in, for messages only. */
  email?: string;
}

export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export async function readStoredConfig(file: string): Promise<StoredConfig | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigFileError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigFileError(`${file} is not valid JSON; remove it or run "jobflow login" again.`);
  }
  const v = value as Partial<Record<keyof StoredConfig, unknown>> | null;
  if (!v || typeof v !== 'object' || typeof v.url !== 'string' || typeof v.token !== 'string') {
    throw new ConfigFileError(`${file} lacks "url" or "token"; run "jobflow login" again.`);
  }
  return {
    url: v.url,
    token: v.token,
    ...(typeof v.tokenId === 'string' ? { tokenId: v.tokenId } : {}),
    ...(typeof v.email === 'string' ? { email: v.email } : {}),
  };
}

/** Writes the config readable by its owner only (0600, directory 0700), replacing any old one at once. */
export async function writeStoredConfig(file: string, config: StoredConfig): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  // The umask may have narrowed the mode, never widened it; set it exactly anyway.
  await chmod(temp, 0o600);
  await rename(temp, file);
}

export async function removeStoredConfig(file: string): Promise<boolean> {
  try {
    await rm(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Where the server and token come from. */
export interface Connection {
  url: string;
  token: string | null;
  source: 'env' | 'config' | 'none';
}

const sameServer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * `JOBFLOW_URL` / `JOBFLOW_TOKEN` win over the stored login. A stored token is
 * sent only to the server it was created for, never to another `JOBFLOW_URL`.
 */
export function resolveConnection(env: CliEnv, stored: StoredConfig | null): Connection {
  const url = env.url ?? stored?.url ?? DEFAULT_URL;
  if (env.token) return { url, token: env.token, source: 'env' };
  if (stored && sameServer(stored.url, url)) return { url, token: stored.token, source: 'config' };
  return { url, token: null, source: 'none' };
}
