/**
 * Planted PII: valid instances of every kind (cards and IBANs with correct checksums), each in a
 * sentence, and hard negatives that look like PII but are not (Luhn-invalid digit runs, dates,
 * version numbers, order numbers, short local numbers, bad checksums, invalid SSN areas).
 */
import type { PiiKind } from '../validation/config.js';
import type { Rng } from './rng.js';
import { FIRST_NAMES } from './vocabulary.js';

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The Luhn check digit that completes a digit string. */
export function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** mod 97 of a numeric string written with IBAN letter values (A=10 … Z=35). */
function mod97(s: string): number {
  let rem = 0;
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    rem = c <= 57 ? (rem * 10 + (c - 48)) % 97 : (rem * 100 + (c - 55)) % 97;
  }
  return rem;
}

/** An IBAN with correct check digits for a country and BBAN. */
export function makeIban(country: string, bban: string): string {
  const check = 98 - mod97(bban + country + '00');
  return country + String(check).padStart(2, '0') + bban;
}

const group4 = (s: string): string => s.replace(/(.{4})(?=.)/g, '$1 ');

function card(rng: Rng): string {
  const [prefix, length, groups] = rng.pick<[string, number, number[]]>([
    ['4', 16, [4, 4, 4, 4]],
    [String(rng.int(51, 55)), 16, [4, 4, 4, 4]],
    [String(rng.int(2221, 2720)), 16, [4, 4, 4, 4]],
    [rng.pick(['34', '37']), 15, [4, 6, 5]],
    ['6011', 16, [4, 4, 4, 4]],
    [String(rng.int(3528, 3589)), 16, [4, 4, 4, 4]],
    ['4', 13, [13]],
  ]);
  const body = prefix + rng.digits(length - prefix.length - 1);
  const digits = body + luhnCheckDigit(body);
  const sep = rng.pick([' ', '-', '']);
  let out = '';
  let at = 0;
  for (const g of groups) {
    out += (at === 0 ? '' : sep) + digits.slice(at, at + g);
    at += g;
  }
  return out;
}

function iban(rng: Rng): string {
  const [country, bban] = rng.pick<[string, () => string]>([
    ['DE', () => rng.digits(18)],
    ['GB', () => rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 4) + rng.digits(14)],
    ['FR', () => rng.digits(23)],
    ['ES', () => rng.digits(20)],
    ['NL', () => rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 4) + rng.digits(10)],
    ['IT', () => rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 1) + rng.digits(22)],
    ['CH', () => rng.digits(17)],
    ['BE', () => rng.digits(12)],
    ['PL', () => rng.digits(24)],
    ['AT', () => rng.digits(16)],
  ]);
  const value = makeIban(country, bban());
  return rng.chance(0.5) ? group4(value) : value;
}

function phone(rng: Rng): string {
  const nxx = (): string => `${rng.int(2, 9)}${rng.digits(2)}`;
  return rng.pick([
    () => `+1 ${nxx()}-${nxx()}-${rng.digits(4)}`,
    () => `(${nxx()}) ${nxx()}-${rng.digits(4)}`,
    () => `${nxx()}-${nxx()}-${rng.digits(4)}`,
    () => `${nxx()}.${nxx()}.${rng.digits(4)}`,
    () => `1-800-${nxx()}-${rng.digits(4)}`,
    () => `+44 20 ${rng.int(7000, 8999)} ${rng.digits(4)}`,
    () => `020 ${rng.int(7000, 8999)} ${rng.digits(4)}`,
    () => `+49 30 ${rng.int(1, 9)}${rng.digits(7)}`,
    () => `030 ${rng.int(1, 9)}${rng.digits(7)}`,
    () => `+33 ${rng.int(1, 9)} ${rng.digits(2)} ${rng.digits(2)} ${rng.digits(2)} ${rng.digits(2)}`,
    () => `0${rng.int(1, 9)} ${rng.digits(2)} ${rng.digits(2)} ${rng.digits(2)} ${rng.digits(2)}`,
    () => `+91 ${rng.int(6, 9)}${rng.digits(4)} ${rng.digits(5)}`,
    () => `+81 3-${rng.digits(4)}-${rng.digits(4)}`,
    () => `+${rng.int(30, 49)}${rng.int(1, 9)}${rng.digits(8)}`,
    () => `+44 (0)20 ${rng.int(7000, 8999)} ${rng.digits(4)}`,
    () => `+1 (${nxx()}) ${nxx()}-${rng.digits(4)}`,
  ])();
}

function email(rng: Rng): string {
  const first = rng.pick(FIRST_NAMES).toLowerCase();
  const last = rng.pick(['smith', 'garcia', 'novak', 'okafor', 'tanaka', 'muller', 'rossi', 'silva', 'kowalski', 'dubois']);
  const domain = rng.pick(['example.com', 'mail.example.org', 'acme.co.uk', 'uni-berlin.de', 'post.example.net', 'corp.example.io']);
  return rng.pick([
    () => `${first}.${last}@${domain}`,
    () => `${first}${rng.int(1, 999)}@${domain}`,
    () => `${first}+${rng.pick(['news', 'work', 'shop'])}@${domain}`,
    () => `${first.toUpperCase()}_${last}@${domain.toUpperCase()}`,
  ])();
}

function ip(rng: Rng): string {
  const hex = (): string => rng.int(1, 0xffff).toString(16);
  return rng.pick([
    () => `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    () => `192.168.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    () => Array.from({ length: 8 }, hex).join(':'),
    () => `2001:db8:${hex()}:${hex()}::${hex()}`,
    () => `fe80::${hex()}:${hex()}:${hex()}:${hex()}`,
    () => `2001:0db8:0000:0000:0000:ff00:0042:${rng.digits(4)}`,
  ])();
}

function ssn(rng: Rng): string {
  let area = rng.int(1, 899);
  if (area === 666) area = 667;
  return `${String(area).padStart(3, '0')}-${String(rng.int(1, 99)).padStart(2, '0')}-${String(rng.int(1, 9999)).padStart(4, '0')}`;
}

function secret(rng: Rng): string {
  const b64url = (s: string): string => Buffer.from(s).toString('base64url');
  return rng.pick([
    () => `the access key id is ${rng.pick(['AKIA', 'ASIA'])}${rng.chars(UPPER_DIGITS, 16)}`,
    () => `aws_secret_access_key = ${rng.chars(BASE64, 40)}`,
    () => {
      const type = rng.pick(['RSA ', 'EC ', 'OPENSSH ', '']);
      return `-----BEGIN ${type}PRIVATE KEY-----\n${rng.chars(BASE64, 64)}\n${rng.chars(BASE64, 40)}\n-----END ${type}PRIVATE KEY-----`;
    },
    () => `Authorization: Bearer ${b64url(`{"alg":"${rng.pick(['HS256', 'RS256'])}","typ":"JWT"}`)}.${b64url(`{"sub":"${rng.int(1000, 99999)}","iat":${rng.int(1.5e9, 1.8e9)}}`)}.${rng.chars(BASE64URL, 43)}`,
    () => `${rng.pick(['api_key', 'API_TOKEN', 'client_secret', 'db_password'])}: "${rng.chars(ALNUM, 32)}"`,
  ])();
}

/** A valid instance of a PII kind, in its usual written forms. */
export function piiValue(kind: PiiKind, rng: Rng): string {
  return { email, phone, card, iban, ip, ssn, secret }[kind](rng);
}

/** A sentence carrying one instance of a PII kind. */
export function piiSentence(kind: PiiKind, rng: Rng): string {
  const v = piiValue(kind, rng);
  const name = rng.pick(FIRST_NAMES);
  switch (kind) {
    case 'email': return rng.pick([`Please write to ${v} for details.`, `${name} can be reached at ${v}.`, `Contact: ${v}`]);
    case 'phone': return rng.pick([`Call ${name} at ${v} after six.`, `Phone: ${v}.`, `The office number is ${v}, ask for ${name}.`]);
    case 'card': return rng.pick([`${name} paid with card ${v} yesterday.`, `Card number: ${v}.`, `Charge it to ${v}, expiry 09/27.`]);
    case 'iban': return rng.pick([`Transfer the deposit to ${v} by Friday.`, `IBAN: ${v}`, `${name}'s account is ${v}.`]);
    case 'ip': return rng.pick([`The request came from ${v} at night.`, `Server address ${v} was blocked.`, `${name} logged in from ${v}.`]);
    case 'ssn': return rng.pick([`SSN ${v} was on the form.`, `${name}'s social security number is ${v}.`, `Tax id: ${v}.`]);
    case 'secret': return rng.pick([`Config dump: ${v}`, `Do not share this: ${v}`, `${v}`]);
  }
}

/** A sentence that looks like PII but is not, of any kind. */
export function hardNegativeSentence(rng: Rng): string {
  const luhnInvalid = (): string => {
    const body = '4' + rng.digits(14);
    const wrong = String((Number(luhnCheckDigit(body)) + rng.int(1, 9)) % 10);
    return (body + wrong).replace(/(\d{4})(?=\d)/g, '$1 ');
  };
  const badIban = (): string => {
    const good = makeIban('DE', rng.digits(18));
    return group4(good.slice(0, 2) + String((Number(good.slice(2, 4)) + rng.int(1, 50)) % 100).padStart(2, '0') + good.slice(4));
  };
  return rng.pick([
    () => `The card reader showed ${luhnInvalid()} but the payment failed.`,
    () => `Order #${rng.int(1, 3)}${rng.digits(rng.int(7, 11))} ships tomorrow.`,
    () => `The meeting moved to ${rng.int(2000, 2030)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}.`,
    () => `It was signed on ${String(rng.int(1, 28)).padStart(2, '0')}.${String(rng.int(1, 12)).padStart(2, '0')}.${rng.int(1990, 2030)} in the afternoon.`,
    () => `Due ${String(rng.int(1, 12)).padStart(2, '0')}/${String(rng.int(1, 28)).padStart(2, '0')}/${rng.int(1990, 2030)} at ${rng.int(10, 23)}:${rng.int(10, 59)}:${rng.int(10, 59)}.`,
    () => `Upgrade to version ${rng.int(1, 9)}.${rng.int(0, 20)}.${rng.int(0, 20)}.${rng.int(0, 200)} before Monday.`,
    () => `The changelog for v${rng.int(1, 5)}.${rng.int(0, 30)}.${rng.int(0, 9)} lists ${rng.int(3, 40)} fixes.`,
    () => `Dial ${rng.int(2, 9)}${rng.digits(2)}-${rng.digits(4)} from the lobby, extension ${rng.digits(3)}.`,
    () => `The transfer to ${badIban()} was rejected.`,
    () => `Form ${rng.pick(['000', '666', String(rng.int(900, 999))])}-${rng.digits(2).replace(/^00$/, '12')}-${rng.int(1000, 9999)} is not a valid number.`,
    () => `Reference ${String(rng.int(100, 899))}-00-${rng.int(1000, 9999)} belongs to the archive.`,
    () => `Write to ${rng.pick(FIRST_NAMES).toLowerCase()} at example dot com, or ping @channel.`,
    () => `The retina asset icon@2x.png is missing.`,
    () => `The password: ${rng.pick(['hunter2', 'changeme', 'secret123'])} is far too weak.`,
    () => `The secret ingredient was ${rng.pick(['cinnamon', 'nutmeg', 'cardamom'])} and sugar.`,
    () => `The token count was ${rng.int(1000, 99999)} for the whole book.`,
    () => `ISBN 978-${rng.int(0, 9)}-${rng.digits(2)}-${rng.digits(6)}-${rng.int(0, 9)} is in the catalogue.`,
    () => `Commit ${rng.chars('0123456789abcdef', 40)} fixed the build.`,
    () => `Request id ${rng.chars('0123456789abcdef', 8)}-${rng.chars('0123456789abcdef', 4)}-4${rng.chars('0123456789abcdef', 3)}-a${rng.chars('0123456789abcdef', 3)}-${rng.chars('0123456789abcdef', 12)} was logged.`,
    () => `The std::vector and std::map types are in the ${rng.int(10, 23)}:${rng.int(10, 59)} lecture.`,
    () => `Pi is about 3.14159 and the population is ${rng.int(1, 9)},${rng.digits(3)},${rng.digits(3)}.`,
    () => `The adapter 00:1A:${rng.chars('0123456789ABCDEF', 2)}:3C:4D:${rng.chars('0123456789ABCDEF', 2)} joined at ${rng.int(2000, 2030)}-0${rng.int(1, 9)}-1${rng.int(0, 9)}T10:${rng.int(10, 59)}:00Z.`,
    () => `La ville compte ${rng.int(1, 9)} ${rng.digits(3)} ${rng.digits(3)} habitants.`,
    () => `See ISBN 0-${rng.digits(3)}-${rng.digits(5)}-${rng.int(0, 9)} for the first edition.`,
    () => `Windows build 10.0.${rng.int(10000, 22999)}.${rng.int(1, 999)} ships colour #${rng.chars('0123456789ABCDEF', 6)}.`,
    () => `Coordinates ${rng.int(10, 60)}.${rng.digits(4)}, ${rng.int(1, 30)}.${rng.digits(4)} mark the spot.`,
    () => `Invoice ${rng.int(2019, 2025)}/${rng.digits(5)} totals ${rng.int(1, 99)}.${rng.digits(3)},${rng.digits(2)} euros.`,
  ])();
}
