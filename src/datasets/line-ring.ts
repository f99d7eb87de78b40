/**
 * A UTF-8 file read as chunks of whole lines into the slots of a ring of shared memory, which the
 * validator threads parse in place (parallel-validator.ts). The file is read straight into memory
 * allocated once: no buffer per chunk is left for the garbage collector (on a 1 GB JSONL those
 * held 10–40 MB of the main thread's memory between collections), and no copy is made per thread.
 * A line longer than a slot travels in shared memory of its own; one longer than 16 MB is refused,
 * as readLineChunks refuses it.
 */
import { open } from 'node:fs/promises';
import { lineTooLong, MAX_LINE_BYTES } from './lines.js';

export class LineRing {
  readonly memory: SharedArrayBuffer;

  constructor(
    readonly slots: number,
    readonly slotBytes: number,
  ) {
    this.memory = new SharedArrayBuffer(slots * slotBytes);
  }
}

/** Hands out ring slots that no thread reads any more, and takes back one left unused. */
export interface SlotLender {
  acquire(): Promise<number>;
  release(slot: number): void;
}

export interface RingChunk {
  /** Whole lines, '\n'-separated, without the last line's '\n': a view of shared memory. */
  bytes: Uint8Array;
  /** The ring slot holding them, to give back once read; −1 for a long line's own memory. */
  slot: number;
  /** Bytes of the file consumed so far (for progress). */
  bytesRead: number;
}

export async function* readLinesIntoRing(file: string, ring: LineRing, lender: SlotLender, options: { signal?: AbortSignal; label?: string } = {}): AsyncGenerator<RingChunk> {
  const handle = await open(file, 'r');
  // The partial line after a chunk's last '\n', carried to the start of the next slot.
  const tail = Buffer.alloc(ring.slotBytes);
  let carried = 0;
  let position = 0;
  let line = 1;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const slot = await lender.acquire();
      const buf = Buffer.from(ring.memory, slot * ring.slotBytes, ring.slotBytes);
      tail.copy(buf, 0, 0, carried);
      let filled = carried;
      let eof = false;
      while (filled < buf.length && !eof) {
        const { bytesRead } = await handle.read(buf, filled, buf.length - filled, position);
        position += bytesRead;
        filled += bytesRead;
        eof = bytesRead === 0;
      }
      if (filled === 0) {
        lender.release(slot);
        return;
      }
      const cut = buf.lastIndexOf(10, filled - 1);
      if (cut >= 0 || eof) {
        // At the end of the file, the last line may have no '\n'.
        const end = cut >= 0 ? cut : filled;
        line += countNewlines(buf, end) + 1;
        carried = cut >= 0 ? filled - cut - 1 : 0;
        buf.copy(tail, 0, end + 1, filled);
        yield { bytes: new Uint8Array(ring.memory, slot * ring.slotBytes, end), slot, bytesRead: position };
        continue;
      }
      // A slot full of one line: read on into memory of its own until its '\n'.
      let long = new Uint8Array(new SharedArrayBuffer(2 * ring.slotBytes));
      long.set(buf);
      lender.release(slot);
      let cutAt = -1;
      while (cutAt < 0 && !eof) {
        if (filled === long.length) {
          if (filled > MAX_LINE_BYTES) throw lineTooLong(options.label ?? file, line);
          const grown = new Uint8Array(new SharedArrayBuffer(2 * long.length));
          grown.set(long);
          long = grown;
        }
        const { bytesRead } = await handle.read(long, filled, Math.min(ring.slotBytes, long.length - filled), position);
        cutAt = bytesRead === 0 ? -1 : Buffer.from(long.buffer, filled, bytesRead).indexOf(10);
        if (cutAt >= 0) cutAt += filled;
        position += bytesRead;
        filled += bytesRead;
        eof = bytesRead === 0;
      }
      const end = cutAt >= 0 ? cutAt : filled;
      if (end > MAX_LINE_BYTES) throw lineTooLong(options.label ?? file, line);
      line++;
      carried = cutAt >= 0 ? filled - cutAt - 1 : 0;
      tail.set(long.subarray(end + 1, filled));
      yield { bytes: long.subarray(0, end), slot: -1, bytesRead: position };
    }
  } finally {
    await handle.close();
  }
}

function countNewlines(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0 && i < end; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
