import dns from 'node:dns';
import net from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * The one door for outbound requests a user can cause (the `http` and
 * `data-check` job types, webhook and Slack notifications). A request may only
 * reach a public address unless an operator opens a range with
 * EGRESS_ALLOW_CIDRS; HTTP_ALLOWED_HOSTS narrows the host names further. The
 * address checked is the one connected to: names are resolved by a lookup hook
 * on the connection itself, so a name that resolves to a public address when
 * checked and to a private one when connecting (DNS rebinding) cannot slip
 * through, and every redirect hop is a new connection checked the same way.
 */

/** A destination the egress policy does not allow. Retrying cannot help. */
export class EgressRefusedError extends Error {
  readonly code = 'egress_refused';
  constructor(message: string) {
    super(`egress_refused: ${message}`);
    this.name = new.target.name;
  }
}

interface Cidr {
  /** The range as written, e.g. `10.0.0.0/8`. */
  text: string;
  bytes: Uint8Array;
  prefix: number;
}

interface Reserved extends Cidr {
  /** What the range is, for the refusal message. */
  what: string;
}

/** Ranges that are not the public internet, most specific first (the first match names the refusal). */
const RESERVED: readonly Reserved[] = (
  [
    ['0.0.0.0/8', 'a "this network" address'],
    ['10.0.0.0/8', 'a private address'],
    ['100.64.0.0/10', 'a shared (carrier-grade NAT) address'],
    ['127.0.0.0/8', 'a loopback address'],
    ['169.254.0.0/16', 'a link-local address (cloud metadata services live here)'],
    ['172.16.0.0/12', 'a private address'],
    ['192.0.0.0/24', 'an IETF protocol address'],
    ['192.0.2.0/24', 'a documentation address'],
    ['192.88.99.0/24', 'a 6to4 relay address'],
    ['192.168.0.0/16', 'a private address'],
    ['198.18.0.0/15', 'a benchmarking address'],
    ['198.51.100.0/24', 'a documentation address'],
    ['203.0.113.0/24', 'a documentation address'],
    ['224.0.0.0/4', 'a multicast address'],
    ['240.0.0.0/4', 'a reserved or broadcast address'],
    ['::/128', 'the unspecified address'],
    ['::1/128', 'a loopback address'],
    ['::/96', 'an IPv4-compatible address'],
    ['64:ff9b:1::/48', 'a local-use NAT64 address'],
    ['100::/64', 'a discard-only address'],
    ['2001:db8::/32', 'a documentation address'],
    ['2001::/23', 'an IETF protocol address (Teredo and others)'],
    ['fc00::/7', 'a unique local address (ULA)'],
    ['fe80::/10', 'a link-local address'],
    ['fec0::/10', 'a site-local address'],
    ['ff00::/8', 'a multicast address'],
  ] as const
).map(([text, what]) => ({ ...parseCidr(text), what }));

/** IPv6 ranges that carry an IPv4 address: the connection ends up at that IPv4 address, so it is what is checked. */
const EMBEDDING: readonly { cidr: Cidr; offset: number; what: string }[] = [
  { cidr: parseCidr('::ffff:0:0/96'), offset: 12, what: 'IPv4-mapped' },
  { cidr: parseCidr('::ffff:0:0:0/96'), offset: 12, what: 'IPv4-translated' },
  { cidr: parseCidr('64:ff9b::/96'), offset: 12, what: 'NAT64' },
  { cidr: parseCidr('2002::/16'), offset: 2, what: '6to4' },
];

function parseIPv4(text: string): Uint8Array | null {
  if (net.isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  return null;
}

/** The 16 bytes of an IPv6 address (zone id ignored), or null. */
function parseIPv6(raw: string): Uint8Array | null {
  const text = raw.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!net.isIPv6(text)) return null;
  const bytes = new Uint8Array(16);
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const groups = (part: string): number[] => {
    if (!part) return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      const v4 = parseIPv4(piece);
      if (v4) out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      else out.push(parseInt(piece, 16));
    }
    return out;
  };
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function parseAddress(text: string): Uint8Array | null {
  return parseIPv4(text) ?? parseIPv6(text);
}

function parseCidr(text: string): Cidr {
  const [address = '', prefixText] = text.trim().split('/');
  const bytes = parseAddress(address);
  if (!bytes) throw new Error(`"${text}" is not an IP address or CIDR range`);
  const max = bytes.length * 8;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) throw new Error(`"${text}" has an invalid prefix length (0 to ${max})`);
  return { text: text.trim(), bytes, prefix };
}

function contains(cidr: Cidr, bytes: Uint8Array): boolean {
  if (cidr.bytes.length !== bytes.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((cidr.bytes[i]! & mask) !== (bytes[i]! & mask)) return false;
  }
  return true;
}

/**
 * Parses EGRESS_ALLOW_CIDRS: comma-separated CIDR ranges or single addresses
 * (`10.0.0.0/8, fd00::/8, 192.168.1.20`). Throws a readable error for a bad entry.
 */
export function parseCidrList(value: string): string[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) parseCidr(entry);
  return entries;
}

/** What the policy says of one address. */
export type AddressVerdict = { isAllowed: true } | { isAllowed: false; reason: string; range: string };

const normalizeHost = (host: string): string =>
  host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');

/**
 * Whether `hostname` (as in `URL.hostname`) is on the list, compared
 * case-insensitively; `*.example.com` allows every subdomain of example.com
 * but not example.com itself. No list allows every host.
 */
export function isHostAllowed(hostname: string, allowedHosts: readonly string[] | undefined): boolean {
  if (!allowedHosts) return true;
  const host = normalizeHost(hostname);
  return allowedHosts.some((entry) => {
    const allowed = normalizeHost(entry.trim());
    return allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed;
  });
}

export interface EgressOptions {
  /** Ranges opened by the operator (EGRESS_ALLOW_CIDRS), as `parseCidrList` accepts them. */
  allowCidrs?: readonly string[];
  /** Host names that may be requested (HTTP_ALLOWED_HOSTS); absent: any host that resolves to an allowed address. */
  allowedHosts?: readonly string[];
}

/** A request as `Egress.fetch` sends it: redirects are never followed (callers check each hop). */
export type EgressRequestInit = Omit<RequestInit, 'redirect'>;

export interface Egress {
  /** The verdict for one IP address. */
  verdict(address: string): AddressVerdict;
  /** Throws EgressRefusedError when the URL's host is not allowed, or is an IP literal the policy refuses. */
  check(url: URL): void;
  /**
   * One request to `url` (not following redirects), over a connection to an
   * address the policy allows. Rejects like fetch; a refused destination is an
   * EgressRefusedError, thrown as is or as the `cause` of fetch's TypeError.
   */
  fetch(url: URL, init: EgressRequestInit): Promise<Response>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

/** The EgressRefusedError behind an error fetch threw, if that is what it is. */
export function egressRefusalOf(error: unknown): EgressRefusedError | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof EgressRefusedError) return e;
  }
  return null;
}

export function createEgress(options: EgressOptions = {}): Egress {
  const allowed = (options.allowCidrs ?? []).map(parseCidr);
  const allowedHosts = options.allowedHosts ? [...options.allowedHosts] : undefined;

  function verdict(address: string): AddressVerdict {
    const bytes = parseAddress(address);
    if (!bytes) return { isAllowed: false, reason: `${address} is not an IP address`, range: address };
    if (allowed.some((cidr) => contains(cidr, bytes))) return { isAllowed: true };
    if (bytes.length === 16) {
      for (const embedding of EMBEDDING) {
        if (!contains(embedding.cidr, bytes)) continue;
        const v4 = Array.from(bytes.subarray(embedding.offset, embedding.offset + 4)).join('.');
        const inner = verdict(v4);
        return inner.isAllowed ? inner : { ...inner, reason: `${address} (${embedding.what}) carries ${inner.reason}` };
      }
    }
    const reserved = RESERVED.find((range) => contains(range, bytes));
    return reserved ? { isAllowed: false, reason: `${address}, ${reserved.what}`, range: reserved.text } : { isAllowed: true };
  }

  const refusal = (host: string, address: string): EgressRefusedError | null => {
    const v = verdict(address);
    if (v.isAllowed) return null;
    const where = normalizeHost(host) === normalizeHost(address) ? v.reason : `${host} resolves to ${v.reason}`;
    return new EgressRefusedError(`${where} (${v.range}); an operator can open it with EGRESS_ALLOW_CIDRS=${v.range}`);
  };

  /**
   * Resolves like dns.lookup, keeping only the addresses the policy allows, so
   * the connection can only be made to one of them; refuses a name with none.
   */
  const lookup: net.LookupFunction = (hostname, lookupOptions, callback) => {
    dns.lookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const usable = addresses.filter((a) => verdict(a.address).isAllowed);
      if (usable.length === 0) {
        const refused = addresses.length ? refusal(hostname, addresses[0]!.address) : null;
        return callback(refused ?? Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      }
      if ((lookupOptions as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };

  const agent = new Agent({ connect: { lookup } });

  function check(url: URL): void {
    if (!isHostAllowed(url.hostname, allowedHosts)) {
      throw new EgressRefusedError(`host ${normalizeHost(url.hostname)} is not in HTTP_ALLOWED_HOSTS`);
    }
    const literal = normalizeHost(url.hostname);
    // A connection to an IP literal does no lookup: check the literal itself.
    if (net.isIP(literal)) {
      const refused = refusal(literal, literal);
      if (refused) throw refused;
    }
  }

  return {
    verdict,
    check,
    async fetch(url, init) {
      check(url);
      const response = await undiciFetch(url, { ...(init as object), redirect: 'manual', dispatcher: agent });
      return response as unknown as Response;
    },
    close: () => agent.close(),
  };
}

/**
 * The settings that name an endpoint the operator chose for Jobflow itself
 * (not one a user's job or notification names): the artifact bucket's
 * S3_ENDPOINT. Requests to them are not requests users cause, so the user
 * egress policy above does not apply to them: they are allowed here,
 * explicitly, and only here.
 */
export const OPERATOR_ENDPOINT_SETTINGS = ['S3_ENDPOINT'] as const;
export type OperatorEndpointSetting = (typeof OPERATOR_ENDPOINT_SETTINGS)[number];

/**
 * The URL of an operator-configured endpoint, checked: http or https, no
 * credentials in it (they have settings of their own), no query or fragment.
 * Throws a readable error naming the setting.
 */
export function operatorEndpoint(setting: OperatorEndpointSetting, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${setting} must be an http:// or https:// URL, not "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${setting} must be an http:// or https:// URL`);
  if (url.username || url.password) throw new Error(`${setting} must not hold credentials: set them in their own variables`);
  if (url.search || url.hash) throw new Error(`${setting} must not have a query or a fragment`);
  return url;
}
