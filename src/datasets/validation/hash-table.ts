/**
 * Open-addressing hash tables on typed arrays, for the millions of keys a large dataset brings:
 * about 12–16 bytes per entry instead of the ~80 a JS Map spends, and no GC pressure.
 */

const EMPTY = -1;

/**
 * A set of 64-bit keys given as two 32-bit halves (hi, lo). `add` says whether the key is new.
 * Linear probing; grows ×2 at 70% load.
 */
export class U64Set {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private used: Uint8Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 12) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Insert the key; true when it was not present before. */
  add(hi: number, lo: number): boolean {
    if ((this.size + 1) * 10 > (this.mask + 1) * 7) this.grow();
    hi >>>= 0;
    lo >>>= 0;
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
    while (this.used[i] === 1) {
      if (this.hi[i] === hi && this.lo[i] === lo) return false;
      i = (i + 1) & this.mask;
    }
    this.used[i] = 1;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.size++;
    return true;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.used.byteLength;
  }

  private grow(): void {
    const { hi, lo, used } = this;
    const cap = (this.mask + 1) * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < used.length; i++) if (used[i] === 1) this.add(hi[i]!, lo[i]!);
  }
}

/**
 * A map from 32-bit keys to non-negative int32 values that remembers the latest value put under
 * each key (an LSH bucket's newest member; older members are chained by the caller). Keys are
 * hashes, so 0 is a valid key; emptiness is a value of -1.
 */
export class LatestHolderMap {
  private keys: Uint32Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 12) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.keys = new Uint32Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  /** Store `value` under the key; returns the value it replaced, or -1 when the key was new. */
  put(key: number, value: number): number {
    if ((this.size + 1) * 10 > (this.mask + 1) * 7) this.grow();
    key >>>= 0;
    let i = (Math.imul(key, 0x9e3779b1) >>> 0) & this.mask;
    for (;;) {
      const v = this.values[i]!;
      if (v === EMPTY) {
        this.keys[i] = key;
        this.values[i] = value;
        this.size++;
        return EMPTY;
      }
      if (this.keys[i] === key) {
        this.values[i] = value;
        return v;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }

  private grow(): void {
    const { keys, values } = this;
    const cap = (this.mask + 1) * 2;
    this.keys = new Uint32Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== EMPTY) this.put(keys[i]!, values[i]!);
  }
}
