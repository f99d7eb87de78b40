/**
 * 32-bit hashing with Math.imul, deterministic across runs and machines (no Node crypto, no
 * per-process random seeds): the report of a dataset must not change when it is recomputed.
 */

/** MurmurHash3's finalizer: a bijective avalanche mix of a 32-bit integer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3-style hash of a string's UTF-16 code units (two per block), seeded. */
export function hashString32(s: string, seed: number): number {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  return fmix32(h ^ n);
}

/**
 * Two independent MurmurHash3-style 32-bit lanes over a string in one pass: a 64-bit hash as
 * [hi, lo], written into `out` to avoid an allocation per record.
 */
export function hashString64(s: string, out: Uint32Array): void {
  let h1 = 0x2545f491;
  let h2 = 0x6a09e667;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const block = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    let k = Math.imul(block, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let j = Math.imul(block, 0x85ebca77);
    j = (j << 17) | (j >>> 15);
    j = Math.imul(j, 0xc2b2ae3d);
    h2 ^= j;
    h2 = (h2 << 15) | (h2 >>> 17);
    h2 = (Math.imul(h2, 5) + 0x52dce729) | 0;
  }
  if (i < n) {
    const c = s.charCodeAt(i);
    h1 ^= Math.imul((Math.imul(c, 0xcc9e2d51) << 15) | (Math.imul(c, 0xcc9e2d51) >>> 17), 0x1b873593);
    h2 ^= Math.imul((Math.imul(c, 0x85ebca77) << 17) | (Math.imul(c, 0x85ebca77) >>> 15), 0xc2b2ae3d);
  }
  out[0] = fmix32(h1 ^ n);
  out[1] = fmix32(h2 ^ n);
}
