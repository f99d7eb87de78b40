import { describe, expect, it } from 'vitest';
import { findIps, isIpv6 } from './ip.js';

const found = (text: string): string[] => findIps(text).map((s) => text.slice(s.start, s.end));

describe('findIps', () => {
  it('finds IPv4 and IPv6 in full, compressed and IPv4-embedded forms', () => {
    expect(found('from 192.168.1.20 and 8.8.8.8.')).toEqual(['192.168.1.20', '8.8.8.8']);
    expect(found('host 2001:0db8:85a3:0000:0000:8a2e:0370:7334 up')).toEqual(['2001:0db8:85a3:0000:0000:8a2e:0370:7334']);
    expect(found('via 2001:db8::1 and fe80::1ff:fe23:4567:890a')).toEqual(['2001:db8::1', 'fe80::1ff:fe23:4567:890a']);
    expect(found('mapped ::ffff:192.0.2.1 here')).toContain('::ffff:192.0.2.1');
  });

  it('ignores bad octets, leading zeros, version strings, times and C++ scopes', () => {
    const negatives = ['00:1A:2B:3C:4D:5E', '2024-03-15T10:30:00Z', 'build 10.0.19041.1', '10.0.0.256', '01.2.3.4', 'version 1.2.3.4', 'v10.0.0.1', 'release 4.19.20.68', '1.2.3.4.5', '12:30:45', 'std::vector', 'a::b', '::1', '3.14159'];
    for (const t of negatives) expect(found(`see ${t} now`), t).toEqual([]);
    expect(isIpv6('1:2:3:4:5:6:7')).toBe(false);
    expect(isIpv6('1::2::3')).toBe(false);
    expect(isIpv6('12345::1')).toBe(false);
  });
});
