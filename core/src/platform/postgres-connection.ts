import { readFileSync } from 'node:fs';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';

/** The `sslmode` values of a `DATABASE_URL`, as libpq names them. */
export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** TLS of a PostgreSQL connection: false for plaintext, else Node's TLS options. */
export type PostgresTls = false | ConnectionOptions;

/** The URL parameters that say how to use TLS; read here, and taken out of the URL handed to `pg`. */
const TLS_PARAMS = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey'] as const;

const readPem = (param: string, path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${param}=${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
};

/**
 * TLS as `databaseUrl` asks for it, with libpq's meaning of each `sslmode`:
 * `disable` plaintext; `prefer` and `require` encrypted without checking the
 * certificate (`require` with `sslrootcert` checks the chain, as libpq does);
 * `verify-ca` checks the chain, not the host name; `verify-full` checks both.
 * A URL that asks for TLS without a mode (`ssl=true`, or `sslrootcert`,
 * `sslcert`, `sslkey`) gets `verify-full`, as managed services expect. No TLS
 * parameter at all: plaintext. `sslrootcert` is a PEM file of trusted CAs
 * (`system`, or none: Node's public CAs); `sslcert` and `sslkey` a client
 * certificate. Throws a readable message for a mode it does not know or a file
 * it cannot read.
 *
 * `pg` cannot fall back from TLS to plaintext, so `prefer` refuses a server
 * without TLS.
 */
export function postgresTls(databaseUrl: string): PostgresTls {
  const url = new URL(databaseUrl);
  const params = url.searchParams;
  const get = (name: (typeof TLS_PARAMS)[number]) => params.get(name) || undefined;
  const rootCert = get('sslrootcert');
  const cert = get('sslcert');
  const key = get('sslkey');
  const ssl = get('ssl');
  let mode = get('sslmode');
  if (mode !== undefined && !(SSL_MODES as readonly string[]).includes(mode)) {
    throw new Error(`sslmode=${mode} is not one of ${SSL_MODES.join(', ')}`);
  }
  if (mode === undefined) {
    if (rootCert || cert || key || ssl === 'true' || ssl === '1') mode = 'verify-full';
    else return false;
  }
  if (mode === 'disable') return false;
  if (Boolean(cert) !== Boolean(key)) throw new Error('sslcert and sslkey go together: give both or neither');

  const tls: ConnectionOptions = {};
  if (rootCert && rootCert !== 'system') tls.ca = readPem('sslrootcert', rootCert);
  if (cert && key) {
    tls.cert = readPem('sslcert', cert);
    tls.key = readPem('sslkey', key);
  }
  const checksChain = mode === 'verify-ca' || mode === 'verify-full' || (mode === 'require' && rootCert !== undefined);
  if (!checksChain) tls.rejectUnauthorized = false;
  else if (mode !== 'verify-full') tls.checkServerIdentity = () => undefined;
  // `pg` hands Node no host name for an IP address, and Node then checks the certificate against "localhost".
  else tls.checkServerIdentity = (_, cert) => checkServerIdentity(url.hostname.replace(/^\[|\]$/g, ''), cert);
  return tls;
}

/** `databaseUrl` without its TLS parameters (`pg` would otherwise read them its own way, over the TLS given to it). */
export function withoutTlsParams(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  for (const name of TLS_PARAMS) url.searchParams.delete(name);
  return url.toString();
}

/** `databaseUrl` with its password masked, for messages. */
export const redactUrl = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/**
 * What a `pg` client or pool needs to reach `databaseUrl`: the URL without
 * TLS parameters and the TLS they say (or `tls`, when already parsed). Every
 * connection a process opens to PostgreSQL is configured through here.
 */
export function pgConnectionConfig(databaseUrl: string, tls: PostgresTls = postgresTls(databaseUrl)): { connectionString: string; ssl: PostgresTls } {
  return { connectionString: withoutTlsParams(databaseUrl), ssl: tls };
}
