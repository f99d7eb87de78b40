/**
 * Open-addressing hash tables on typed arrays, for the millions of keys a large dataset brings:
 * 8 bytes per slot (about 11–16 per entry at the table's load) instead of the ~80 a JS Map spends,
 * and no GC pressure.
 */

/** Slots for `entries` keys within the tables' 70% load (they round it up to a power of two). */
export function slotsFor(entries: number): number {
  return Math.ceil((entries * 10) / 7) + 1;
}

/**
 * A set of 64-bit keys given as two 32-bit halves (hi, lo), stored side by side in one array (one
 * cache line per probe). An all-zero slot is empty, so the zero key is tracked by a flag of its own.
 * `add` says whether the key is new. Linear probing; grows ×2 at 70% load.
 */
export class U64Set {
  private slots: Uint32Array;
  private mask: number;
  private hasZero = false;
  size = 0;

  constructor(initialCapacity = 1 << 12) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.slots = new Uint32Array(cap * 2);
    this.mask = cap - 1;
  }

  /** Insert the key; true when it was not present before. */
  add(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    if ((hi | lo) === 0) {
      if (this.hasZero) return false;
      this.hasZero = true;
      this.size++;
      return true;
    }
    if ((this.size + 1) * 10 > (this.mask + 1) * 7) this.grow();
    const slots = this.slots;
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const h = slots[2 * i]!;
      const l = slots[2 * i + 1]!;
      if ((h | l) === 0) break;
      if (h === hi && l === lo) return false;
    }
    slots[2 * i] = hi;
    slots[2 * i + 1] = lo;
    this.size++;
    return true;
  }

  /** Bytes held by the table's array. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = new Uint32Array(cap * 2);
    this.mask = cap - 1;
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i]!;
      const lo = old[i + 1]!;
      if ((hi | lo) === 0) continue;
      let j = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
      while ((this.slots[2 * j]! | this.slots[2 * j + 1]!) !== 0) j = (j + 1) & this.mask;
      this.slots[2 * j] = hi;
      this.slots[2 * j + 1] = lo;
    }
  }
}
