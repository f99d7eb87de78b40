import { createHash, randomBytes } from 'node:crypto';

/** Keys look like `crk_` + 43 base64url characters (256 random bits). */
export const KEY_PREFIX = 'crk_';
const PREFIX_SHOWN = KEY_PREFIX.length + 8;

export interface KeySecret {
  key: string;
  prefix: string;
  hash: string;
}

/** A new random key, the prefix shown in listings, and the hash that is stored. */
export function generateKeySecret(): KeySecret {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, PREFIX_SHOWN), hash: hashKey(key) };
}

/**
 * sha256 of the key. A slow password hash is unnecessary here: keys carry 256 random bits, so there is
 * nothing to brute-force, and a fast hash lets every request authenticate with one indexed lookup.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Cheap shape check before touching the database. */
export function looksLikeKey(candidate: string): boolean {
  return candidate.startsWith(KEY_PREFIX) && candidate.length === KEY_PREFIX.length + 43;
}
