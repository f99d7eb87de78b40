/**
 * The batch's KV cache between decoder calls, held as ort.Tensors over engine-owned buffers.
 *
 * Layout per layer: K and V [B, NKV, P, HS], rows left-padded, so every sequence's cached tokens are
 * the last n_b columns of its row (each step appends one column to every row, keeping this true).
 *
 * Why concat-growing and not a preallocated max-length cache: the decoder computes
 * present = concat(past, new) into output views that we preallocate in a second buffer set (ping-pong),
 * so a step allocates nothing and copies the live P columns once; a max-length cache would skip that
 * copy but make every step attend over all maxSeqLen columns, padding included. Measured on `tiny`,
 * decode ms/step, growing vs a max-length (M = 512) cache written in place by ScatterElements (input
 * and output one buffer): B=1 P=64 44 vs 81; B=8 P=64 126 vs 402; B=8 P=256 180 vs 211; B=32 P=64
 * 217 vs 860; B=32 P=256 780 vs 1084 (best of 3, a 2-core box at load ~15, so only the ratios count).
 * The copy costs less than attending over unused columns until P nears maxSeqLen.
 */
import { ort } from '../onnx/session.js';

/** One row to place in a rebuilt cache: row `row` of `src` (2L tensors [Bs, NKV, Ps, HS]), its last n columns. */
export interface CacheRow {
  src: readonly ort.Tensor[];
  row: number;
  n: number;
}

export class KvCache {
  /** Two buffer sets (2L buffers each); the current cache lives in `sets[cur]`, the next step writes the other. */
  private readonly sets: Float32Array[][];
  private cur = 0;
  private tensors: ort.Tensor[];
  /** Rows (sequences) and columns (cache length P). */
  batch = 0;
  length = 0;

  constructor(
    readonly layers: number,
    readonly kvHeads: number,
    readonly headSize: number,
  ) {
    this.sets = [0, 1].map(() => Array.from({ length: 2 * layers }, () => new Float32Array(0)));
    this.tensors = this.views(this.cur, 0, 0);
  }

  /** The cache as the decoder's past: 2L tensors [B, NKV, P, HS]. */
  past(): readonly ort.Tensor[] {
    return this.tensors;
  }

  /** Output views [B, NKV, P+S, HS] in the other buffer set, for the decoder to write present into. */
  presentViews(S: number): ort.Tensor[] {
    const other = 1 - this.cur;
    this.reserve(other, this.batch * this.kvHeads * (this.length + S) * this.headSize);
    return this.views(other, this.batch, this.length + S);
  }

  /** After a call that wrote presentViews(S): present becomes the cache. */
  advance(S: number): void {
    this.cur = 1 - this.cur;
    this.length += S;
    this.tensors = this.views(this.cur, this.batch, this.length);
  }

  /**
   * Rebuilds the cache from rows of this cache or of other caches (a fresh prefill), left-padded to
   * the longest row. Used when sequences join or leave the batch; padding columns are zeroed.
   */
  rebuild(rows: readonly CacheRow[]): void {
    const other = 1 - this.cur;
    const P = rows.reduce((m, r) => Math.max(m, r.n), 0);
    const { kvHeads: NKV, headSize: HS } = this;
    this.reserve(other, rows.length * NKV * P * HS);
    for (let t = 0; t < 2 * this.layers; t++) {
      const dst = this.sets[other]![t]!;
      rows.forEach((r, b) => {
        const src = r.src[t]!;
        const Ps = src.dims[2]!;
        const data = src.data as Float32Array;
        for (let h = 0; h < NKV; h++) {
          const to = (b * NKV + h) * P * HS;
          dst.fill(0, to, to + (P - r.n) * HS);
          const from = ((r.row * NKV + h) * Ps + Ps - r.n) * HS;
          dst.set(data.subarray(from, from + r.n * HS), to + (P - r.n) * HS); // [n, HS] rows are contiguous
        }
      });
    }
    this.batch = rows.length;
    this.length = P;
    this.cur = other;
    this.tensors = this.views(this.cur, this.batch, this.length);
  }

  /** Grows a buffer set (contents are about to be overwritten, so nothing is copied). */
  private reserve(set: number, floats: number): void {
    const bufs = this.sets[set]!;
    if (bufs[0]!.length >= floats) return;
    const size = Math.max(floats, Math.ceil(bufs[0]!.length * 1.5));
    for (let t = 0; t < bufs.length; t++) bufs[t] = new Float32Array(size);
  }

  private views(set: number, B: number, P: number): ort.Tensor[] {
    const n = B * this.kvHeads * P * this.headSize;
    return this.sets[set]!.map((buf) => new ort.Tensor('float32', buf.subarray(0, n), [B, this.kvHeads, P, this.headSize]));
  }
}
