import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

/** Who is on the other end of a request or socket, as far as the server can tell. */
export interface ClientInfo {
  /** The client's address: the socket's, or the one `hops` trusted proxies say they received from. */
  ip: string;
  /** Whether the client reached the server (or its first trusted proxy) over https. */
  isHttps: boolean;
  userAgent: string | null;
}

const headerList = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value.join(',') : (value ?? ''))
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

const plainAddress = (ip: string): string => {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  return bare.toLowerCase().startsWith('::ffff:') && net.isIPv4(bare.slice(7)) ? bare.slice(7) : bare;
};

/**
 * The client behind `hops` reverse proxies (TRUST_PROXY). Each trusted proxy
 * appends the address it received from to X-Forwarded-For, so the client is
 * the `hops`-th entry from the right; entries further left were written by
 * the client itself and are never believed. With `hops` 0 the headers are
 * ignored. The one place the server decides a client's address: sign-in
 * limits, the audit log and the session cookie's `Secure` flag all ask here.
 */
export function clientOf(headers: IncomingHttpHeaders, socket: { remoteAddress?: string; encrypted?: boolean }, hops: number): ClientInfo {
  let ip = plainAddress(socket.remoteAddress ?? '');
  let isHttps = socket.encrypted === true;
  if (hops > 0) {
    const forwarded = headerList(headers['x-forwarded-for']);
    const claimed = forwarded.length ? plainAddress(forwarded[Math.max(0, forwarded.length - hops)]!) : '';
    if (net.isIP(claimed)) ip = claimed;
    const proto = headerList(headers['x-forwarded-proto']).pop();
    if (proto) isHttps = proto.toLowerCase() === 'https';
  }
  const agent = headers['user-agent'];
  return { ip: ip || 'unknown', isHttps, userAgent: typeof agent === 'string' && agent ? agent.slice(0, 512) : null };
}
