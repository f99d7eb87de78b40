/**
 * The record id of every position of an index, kept for the examples of a finding that is only
 * known at the end. Ids are row indexes or the source's own numeric ids almost always: while
 * every id is an integer in [0, 2³² − 1) they take 4 bytes each in a chunked column, instead of
 * the 8–16 bytes of a growing JS array; at the first other id (a string, a negative or fractional
 * number) the column turns into a plain array of ids.
 */
import { ChunkedWords } from './chunked-words.js';
import type { RecordId } from './types.js';

export class RecordIdColumn {
  private numeric: ChunkedWords | undefined = new ChunkedWords(1);
  private any: RecordId[] | undefined;
  size = 0;

  push(id: RecordId): void {
    if (this.numeric && typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < 0xffffffff) {
      this.numeric.chunkFor(this.size)[this.numeric.offset(this.size)] = id;
    } else {
      this.any ??= this.toArray();
      this.any.push(id);
    }
    this.size++;
  }

  get(pos: number): RecordId {
    if (this.any) return this.any[pos]!;
    return this.numeric!.chunk(pos)[this.numeric!.offset(pos)]!;
  }

  /** Bytes held by the numeric column (the array's strings live on the JS heap). */
  get bytes(): number {
    return this.numeric?.bytes ?? this.size * 8;
  }

  private toArray(): RecordId[] {
    const ids: RecordId[] = [];
    for (let pos = 0; pos < this.size; pos++) ids.push(this.get(pos));
    this.numeric = undefined;
    return ids;
  }
}
