import { randomBytes } from 'node:crypto';

// Crockford base32: sortable as strings in the same order as the numbers they encode.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

/** `chars` base32 digits of a big-endian number, zero-padded on the left. */
function encode(bytes: Uint8Array, chars: number): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return out;
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
  const time = new Uint8Array(6);
  let t = lastTime;
  for (let i = 5; i >= 0; i--) {
    time[i] = t % 256;
    t = Math.floor(t / 256);
  }
  const id = encode(time, 10) + encode(lastRandom, 16);
  return prefix ? `${prefix}_${id}` : id;
}

/** The millisecond timestamp encoded in an id made by newId (with or without prefix). */
export function idTime(id: string): number {
  const core = id.slice(id.lastIndexOf('_') + 1, id.lastIndexOf('_') + 11);
  let t = 0;
  for (const ch of core) t = t * 32 + ALPHABET.indexOf(ch);
  return t;
}
