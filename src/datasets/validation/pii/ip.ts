/**
 * IP addresses: dotted-quad IPv4 with every octet in 0–255 (no leading zeros), and IPv6 in full,
 * compressed ("::") and IPv4-embedded forms. Dotted quads right after a version word ("v1.2.3.4",
 * "version 10.0.0.1") are version strings, not addresses.
 */
import type { PiiSpan } from './span.js';

const IPV4 = /(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\w)/g;
const VERSION_WORD = /(?:\bv|\bver\.?|\bversion|\brelease|\bbuild|\brev\.?|\brevision|\bfirmware|\bupdate|\bpatch)\s*$/i;

function isOctet(s: string): boolean {
  return (s.length === 1 || s[0] !== '0') && Number(s) <= 255;
}

/** True when a string is a dotted-quad IPv4 address with valid octets. */
export function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && isOctet(p));
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/**
 * True when a string is an IPv6 address. Compressed forms must keep two groups and a digit, so
 * that "::1", "a::b" and C++'s "std::x" do not count (the first is loopback, not personal data).
 */
export function isIpv6(s: string): boolean {
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  let slots = groups.length;
  const last = groups[groups.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!isIpv4(last)) return false;
    groups.pop();
    slots += 1; // an embedded IPv4 fills two groups
  }
  if (!groups.every((g) => HEX_GROUP.test(g))) return false;
  if (halves.length === 1) return slots === 8;
  return slots >= 2 && slots <= 7 && /\d/.test(s);
}

// Runs of hex digits, colons and (for the embedded IPv4 tail) dots, with at least two colons.
const IPV6_CANDIDATE = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\w)/g;

/** IPv4 and IPv6 addresses in a text. */
export function findIps(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  if (text.includes('.')) {
    IPV4.lastIndex = 0;
    for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
      if (![m[1]!, m[2]!, m[3]!, m[4]!].every(isOctet)) continue;
      if (VERSION_WORD.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
      spans.push({ kind: 'ip', start: m.index, end: m.index + m[0].length });
    }
  }
  if (text.includes(':')) {
    IPV6_CANDIDATE.lastIndex = 0;
    for (let m = IPV6_CANDIDATE.exec(text); m !== null; m = IPV6_CANDIDATE.exec(text)) {
      const candidate = m[0].endsWith(':') && !m[0].endsWith('::') ? m[0].slice(0, -1) : m[0];
      if (isIpv6(candidate)) spans.push({ kind: 'ip', start: m.index, end: m.index + candidate.length });
    }
  }
  return spans;
}
