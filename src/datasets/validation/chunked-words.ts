/**
 * A growable column of fixed-width rows of 32-bit words, one row per record position, kept in
 * chunks: growth allocates one more chunk and never copies (nor doubles) what is there. Hot loops
 * read a row as `chunk(pos)` at `offset(pos)` instead of calling a getter per word.
 *
 * Each chunk spans at least 32 MB of address space, the size from which glibc always maps an
 * allocation with an mmap of its own: then a chunk is resident only for the rows written so far,
 * and goes back to the system when it is freed. Chunks of 256 KB–2 MB landed in a validator
 * thread's malloc arena instead (its mmap threshold adapts upwards as tables grow) and 64 MB of it
 * stayed resident after the thread had ended, beside DuckDB's conversion.
 */
const CHUNK_BYTES = 32 << 20;

export class ChunkedWords {
  private readonly chunks: Uint32Array[] = [];
  private readonly shift: number;
  private readonly rowMask: number;
  /** Rows up to the highest one asked for. */
  private rows = 0;

  /** @param stride 32-bit words per row */
  constructor(readonly stride: number) {
    this.shift = Math.ceil(Math.log2(CHUNK_BYTES / 4 / stride));
    this.rowMask = (1 << this.shift) - 1;
  }

  /** The chunk holding row `pos`, allocated (with any before it) when `pos` is past the last chunk. */
  chunkFor(pos: number): Uint32Array {
    const c = pos >>> this.shift;
    while (c >= this.chunks.length) this.chunks.push(new Uint32Array((this.rowMask + 1) * this.stride));
    if (pos >= this.rows) this.rows = pos + 1;
    return this.chunks[c]!;
  }

  /** The chunk holding row `pos` (already allocated). */
  chunk(pos: number): Uint32Array {
    return this.chunks[pos >>> this.shift]!;
  }

  /** Where row `pos` starts in its chunk. */
  offset(pos: number): number {
    return (pos & this.rowMask) * this.stride;
  }

  /** Bytes of the rows in use (what is resident; the chunks' untouched tails are not). */
  get bytes(): number {
    return this.rows * this.stride * 4;
  }
}
