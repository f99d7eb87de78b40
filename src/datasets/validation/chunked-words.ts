/**
 * A growable column of fixed-width rows of 32-bit words, one row per record position, kept in
 * chunks of 64Ki rows: growth allocates one more chunk and never copies (nor doubles) what is
 * there, so the column holds about what it stores. Hot loops read a row as `chunk(pos)` at
 * `offset(pos)` instead of calling a getter per word.
 */
const CHUNK_SHIFT = 16;
const CHUNK_ROWS = 1 << CHUNK_SHIFT;

export class ChunkedWords {
  private readonly chunks: Uint32Array[] = [];

  /** @param stride 32-bit words per row */
  constructor(readonly stride: number) {}

  /** The chunk holding row `pos`, allocated (with any before it) when `pos` is past the last chunk. */
  chunkFor(pos: number): Uint32Array {
    const c = pos >>> CHUNK_SHIFT;
    while (c >= this.chunks.length) this.chunks.push(new Uint32Array(CHUNK_ROWS * this.stride));
    return this.chunks[c]!;
  }

  /** The chunk holding row `pos` (already allocated). */
  chunk(pos: number): Uint32Array {
    return this.chunks[pos >>> CHUNK_SHIFT]!;
  }

  /** Where row `pos` starts in its chunk. */
  offset(pos: number): number {
    return (pos & (CHUNK_ROWS - 1)) * this.stride;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.chunks.length * CHUNK_ROWS * this.stride * 4;
  }
}
