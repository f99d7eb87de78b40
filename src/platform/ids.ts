import { randomBytes } from 'node:crypto';

// Crockford base32: sortable as strings in the same order as the numbers they encode.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

/** Base32 digits of `value` (an integer below 2^53), most significant first, zero-padded to `chars`. */
function encodeNumber(value: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/** 40 bits (5 bytes) as 8 base32 digits; plain numbers, since ids are made on every request. */
function encode40(bytes: Uint8Array, offset: number): string {
  let value = 0;
  for (let i = 0; i < 5; i++) value = value * 256 + bytes[offset + i]!;
  return encodeNumber(value, 8);
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = new Uint8Array(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 255) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

/**
 * A ULID: 26 characters, 48-bit millisecond time then 80 random bits. Ids made later sort later,
 * also within one millisecond in one process (the random part is incremented, as the ULID spec says).
 * @example newId('job') // 'job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K'
 */
export function newId(prefix?: string): string {
  const now = Date.now();
  if (now <= lastTime) {
    lastRandom = increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = new Uint8Array(randomBytes(10));
  }
  const id = encodeNumber(lastTime, 10) + encode40(lastRandom, 0) + encode40(lastRandom, 5);
  return prefix ? `${prefix}_${id}` : id;
}

/** The millisecond timestamp encoded in an id made by newId (with or without prefix). */
export function idTime(id: string): number {
  const core = id.slice(id.lastIndexOf('_') + 1, id.lastIndexOf('_') + 11);
  let t = 0;
  for (const ch of core) t = t * 32 + ALPHABET.indexOf(ch);
  return t;
}
