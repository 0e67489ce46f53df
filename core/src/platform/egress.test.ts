import { afterAll, describe, expect, it } from 'vitest';
import { createEgress, parseCidrList } from './egress';

const closed = createEgress();
const opened = createEgress({ allowCidrs: ['127.0.0.0/8', '10.1.0.0/16', 'fd00::/8'] });
afterAll(async () => {
  await closed.close();
  await opened.close();
});

const rangeOf = (address: string, egress = closed) => {
  const v = egress.verdict(address);
  return v.isAllowed ? 'allowed' : v.range;
};

describe('egress policy', () => {
  it.each([
    ['127.0.0.1', '127.0.0.0/8'],
    ['127.255.255.254', '127.0.0.0/8'],
    ['10.0.0.5', '10.0.0.0/8'],
    ['172.16.0.1', '172.16.0.0/12'],
    ['172.31.255.255', '172.16.0.0/12'],
    ['192.168.1.1', '192.168.0.0/16'],
    ['169.254.169.254', '169.254.0.0/16'],
    ['100.64.0.1', '100.64.0.0/10'],
    ['100.127.255.255', '100.64.0.0/10'],
    ['0.0.0.0', '0.0.0.0/8'],
    ['0.1.2.3', '0.0.0.0/8'],
    ['224.0.0.251', '224.0.0.0/4'],
    ['239.255.255.250', '224.0.0.0/4'],
    ['255.255.255.255', '240.0.0.0/4'],
    ['::1', '::1/128'],
    ['::', '::/128'],
    ['0:0:0:0:0:0:0:1', '::1/128'],
    ['fd12:3456::1', 'fc00::/7'],
    ['fc00::1', 'fc00::/7'],
    ['fe80::1', 'fe80::/10'],
    ['fe80::1%eth0', 'fe80::/10'],
    ['ff02::1', 'ff00::/8'],
    ['::ffff:127.0.0.1', '127.0.0.0/8'],
    ['::ffff:7f00:1', '127.0.0.0/8'],
    ['::ffff:169.254.169.254', '169.254.0.0/16'],
    ['::ffff:a9fe:a9fe', '169.254.0.0/16'],
    ['::ffff:0:10.0.0.1', '10.0.0.0/8'],
    ['64:ff9b::10.0.0.1', '10.0.0.0/8'],
    ['64:ff9b::a9fe:a9fe', '169.254.0.0/16'],
    ['64:ff9b:1::1', '64:ff9b:1::/48'],
    ['2002:7f00:1::', '127.0.0.0/8'],
    ['2002:c0a8:101::1', '192.168.0.0/16'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001::/23'],
    ['2001:db8::1', '2001:db8::/32'],
    ['::127.0.0.1', '::/96'],
  ])('refuses %s (%s) by default', (address, range) => {
    expect(rangeOf(address)).toBe(range);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    'allows the public address %s',
    (address) => {
      expect(rangeOf(address)).toBe('allowed');
    },
  );

  it('opens exactly the ranges an operator lists, in every form of the address', () => {
    expect(rangeOf('127.0.0.1', opened)).toBe('allowed');
    expect(rangeOf('::ffff:127.0.0.1', opened)).toBe('allowed');
    expect(rangeOf('10.1.2.3', opened)).toBe('allowed');
    expect(rangeOf('64:ff9b::10.1.2.3', opened)).toBe('allowed');
    expect(rangeOf('fd00::5', opened)).toBe('allowed');
    expect(rangeOf('10.2.0.1', opened)).toBe('10.0.0.0/8');
    expect(rangeOf('::1', opened)).toBe('::1/128');
    expect(rangeOf('169.254.169.254', opened)).toBe('169.254.0.0/16');
  });

  it('checks IP literals in URLs (which connect without a lookup), naming the address and the setting', () => {
    const refusal = (url: string) => {
      try {
        closed.check(new URL(url));
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refusal('http://169.254.169.254/latest/meta-data/')).toBe(
      'egress_refused: 169.254.169.254, a link-local address (cloud metadata services live here) (169.254.0.0/16); an operator can open it with EGRESS_ALLOW_CIDRS=169.254.0.0/16',
    );
    // The URL parser's canonical forms of the same addresses.
    expect(refusal('http://2130706433/')).toMatch(/^egress_refused: 127\.0\.0\.1, a loopback address/);
    expect(refusal('http://0x7f.1/')).toMatch(/^egress_refused: 127\.0\.0\.1, a loopback address/);
    expect(refusal('http://[::ffff:127.0.0.1]:8080/')).toMatch(/^egress_refused: ::ffff:7f00:1 \(IPv4-mapped\) carries 127\.0\.0\.1, a loopback address/);
    expect(refusal('http://[64:ff9b::a9fe:a9fe]/')).toMatch(/169\.254\.0\.0\/16/);
    expect(refusal('https://example.com/')).toBeNull();
  });

  it('narrows host names with HTTP_ALLOWED_HOSTS, on top of the address check', async () => {
    const narrowed = createEgress({ allowedHosts: ['api.example.com', '*.internal.test'] });
    expect(() => narrowed.check(new URL('https://api.example.com/x'))).not.toThrow();
    expect(() => narrowed.check(new URL('https://a.b.internal.test/x'))).not.toThrow();
    expect(() => narrowed.check(new URL('https://example.com/'))).toThrow('egress_refused: host example.com is not in HTTP_ALLOWED_HOSTS');
    // A listed host does not open a refused address.
    const listedLoopback = createEgress({ allowedHosts: ['127.0.0.1'] });
    expect(() => listedLoopback.check(new URL('http://127.0.0.1/'))).toThrow(/127\.0\.0\.0\/8/);
    await narrowed.close();
    await listedLoopback.close();
  });

  it('reads EGRESS_ALLOW_CIDRS and says which entry is wrong', () => {
    expect(parseCidrList(' 10.0.0.0/8, fd00::/8 ,192.168.1.20,')).toEqual(['10.0.0.0/8', 'fd00::/8', '192.168.1.20']);
    expect(parseCidrList('')).toEqual([]);
    expect(() => parseCidrList('10.0.0.0/33')).toThrow('"10.0.0.0/33" has an invalid prefix length (0 to 32)');
    expect(() => parseCidrList('intranet.example')).toThrow('"intranet.example" is not an IP address or CIDR range');
  });
});
