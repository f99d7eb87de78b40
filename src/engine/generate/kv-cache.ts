/**
 * The batch's KV cache, kept on the host between step-graph calls (step-graph.ts reads it, never returns it).
 *
 * Layout per layer: K and V [rows, NKV, M, HS]. Row b holds its n_b tokens in columns 0 … n_b−1 (column =
 * position); columns from n_b on are unused and masked by the graph from the row's length. The tensors fed
 * are views of the first B rows of preallocated buffers (a row is one contiguous block), so a step copies
 * nothing but each row's new column in.
 *
 * M, the column capacity, follows the longest row in chunks of COLUMN_CHUNK: attention reads at most a
 * chunk of unused columns per row, and the cache is re-laid-out (new stride) once per chunk of tokens
 * rather than grown by a copy every step, as a concat-growing cache must be.
 */
import { ort } from '../onnx/session.js';

/** Columns are added (and given back) this many at a time. */
export const COLUMN_CHUNK = 32;

/** Buffers at most this big (floats each; 256 KiB) are kept however empty: shrinking them saves nothing worth a copy. */
const SHRINK_FLOATS = 1 << 16;

export class KvCache {
  /** 2L buffers (K and V per layer), each holding B × NKV × M × HS floats or more. */
  private bufs: Float32Array[];
  private M = 0;
  /** Tokens per row (n_b); the row order is the batch's. */
  private readonly lens: number[] = [];

  constructor(
    readonly layers: number,
    readonly kvHeads: number,
    readonly headSize: number,
  ) {
    this.bufs = Array.from({ length: 2 * layers }, () => new Float32Array(0));
  }

  /** Rows (sequences). */
  get rows(): number {
    return this.lens.length;
  }

  /** Bytes the cache holds (all layers, K and V), live or not. */
  get bytes(): number {
    return this.bufs.reduce((n, b) => n + b.byteLength, 0);
  }

  /** Column capacity M of the tensors `tensors()` returns. */
  get columns(): number {
    return this.M;
  }

  /** Tokens cached for row b. */
  length(b: number): number {
    return this.lens[b]!;
  }

  /** The longest row. */
  get longest(): number {
    return this.lens.reduce((m, n) => Math.max(m, n), 0);
  }

  /** The cache as the step graph's input: 2L views [B, NKV, M, HS]. */
  tensors(): ort.Tensor[] {
    const n = this.rows * this.rowFloats();
    return this.bufs.map((buf) => new ort.Tensor('float32', buf.subarray(0, n), [this.rows, this.kvHeads, this.M, this.headSize]));
  }

  /** Row lengths as the graph's cache_lengths [B]. */
  lengthsInto(out: BigInt64Array): BigInt64Array {
    this.lens.forEach((n, b) => (out[b] = BigInt(n)));
    return out;
  }

  /**
   * Appends rows from a prefill's new keys and values (2L tensors [B', NKV, S, HS]): row i gets the
   * first `lengths[i]` columns of src row i.
   */
  appendRows(src: readonly ort.Tensor[], lengths: readonly number[]): void {
    const { kvHeads: NKV, headSize: HS } = this;
    this.fit(this.rows + lengths.length, Math.max(this.longest, ...lengths));
    const S = src[0]!.dims[2]!;
    const rowFloats = this.rowFloats();
    const first = this.rows;
    for (let t = 0; t < this.bufs.length; t++) {
      const dst = this.bufs[t]!;
      const data = src[t]!.data as Float32Array;
      lengths.forEach((n, i) => {
        for (let h = 0; h < NKV; h++) {
          const from = (i * NKV + h) * S * HS;
          dst.set(data.subarray(from, from + n * HS), (first + i) * rowFloats + h * this.M * HS); // [n, HS] is contiguous
        }
      });
    }
    this.lens.push(...lengths);
  }

  /** Appends one token per row from a decode step's new keys and values (2L tensors [B, NKV, 1, HS]). */
  appendColumn(src: readonly ort.Tensor[]): void {
    const B = this.rows;
    this.fit(B, this.longest + 1);
    const { kvHeads: NKV, headSize: HS, lens } = this;
    const headFloats = this.M * HS;
    const rowFloats = NKV * headFloats;
    for (let t = 0; t < this.bufs.length; t++) {
      const dst = this.bufs[t]!;
      const data = src[t]!.data as Float32Array;
      let s = 0; // [B, NKV, 1, HS]: the source is read in order
      for (let b = 0; b < B; b++) {
        for (let d = b * rowFloats + lens[b]! * HS, h = 0; h < NKV; h++, d += headFloats) {
          for (let i = 0; i < HS; i++) dst[d + i] = data[s + i]!; // one column: HS floats (a loop beats subarray + set here)
          s += HS;
        }
      }
    }
    for (let b = 0; b < B; b++) lens[b]!++;
  }

  /** Drops rows (by index), keeping the others in order; the column capacity shrinks to the longest left. */
  removeRows(rows: readonly number[]): void {
    const drop = new Set(rows);
    const rowFloats = this.rowFloats();
    let to = 0;
    for (let b = 0; b < this.rows; b++) {
      if (drop.has(b)) continue;
      if (to !== b) for (const buf of this.bufs) buf.copyWithin(to * rowFloats, b * rowFloats, (b + 1) * rowFloats);
      this.lens[to++] = this.lens[b]!;
    }
    this.lens.length = to;
    this.fit(to, this.longest);
  }

  private rowFloats(): number {
    return this.kvHeads * this.M * this.headSize;
  }

  /**
   * Makes room for `rows` rows of `columns` tokens: columns to the next chunk (and back down when the
   * longest row needs a chunk less), buffers by half again when they are too small. A new column
   * capacity re-lays the live rows out in place, since fresh memory costs a page fault per 4 KB touched.
   * Buffers shrink when the live rows fill less than a quarter of them (an engine keeps one cache for its
   * lifetime, so a burst of long sequences must not hold its memory after they leave).
   */
  private fit(rows: number, columns: number): void {
    const M = Math.max(COLUMN_CHUNK, Math.ceil(columns / COLUMN_CHUNK) * COLUMN_CHUNK);
    const { kvHeads: NKV, headSize: HS } = this;
    const floats = rows * NKV * M * HS;
    const held = this.bufs[0]!.length;
    if (M === this.M && floats <= held && !this.oversized(floats)) return;
    if (floats > held) {
      const size = Math.max(floats, Math.ceil(held * 1.5));
      this.bufs = this.bufs.map((old) => {
        const buf = new Float32Array(size);
        buf.set(old.subarray(0, Math.min(old.length, size)));
        return buf;
      });
    }
    if (M !== this.M) for (const buf of this.bufs) this.relayout(buf, this.M, M);
    this.M = M;
    // After the re-layout, the live rows are the first `floats` of each buffer.
    if (this.oversized(floats)) this.bufs = this.bufs.map((old) => old.slice(0, Math.ceil(floats * 1.5)));
  }

  /** Whether buffers holding `floats` live floats waste enough to be worth a copy into smaller ones. */
  private oversized(floats: number): boolean {
    const held = this.bufs[0]!.length;
    return held > SHRINK_FLOATS && held > 4 * floats;
  }

  /**
   * Moves every live (row, head) block from stride `from` to stride `to` columns within one buffer: last
   * block first when growing, first block first when shrinking, so no block overwrites one not yet moved.
   */
  private relayout(buf: Float32Array, from: number, to: number): void {
    const { kvHeads: NKV, headSize: HS, lens } = this;
    const blocks = this.rows * NKV;
    for (let k = 0; k < blocks; k++) {
      const block = to > from ? blocks - 1 - k : k;
      const n = lens[Math.floor(block / NKV)]! * HS;
      if (n > 0) buf.copyWithin(block * to * HS, block * from * HS, block * from * HS + n);
    }
  }
}
