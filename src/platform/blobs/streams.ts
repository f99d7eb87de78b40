import { Readable } from 'node:stream';
import type { BlobSource } from './blob-store.js';

/** Any accepted source as a Node stream; bytes in memory become a single chunk (they are already held). */
export function toReadable(source: BlobSource): Readable {
  if (source instanceof Readable) return source;
  if (source instanceof Uint8Array) return Readable.from([source]);
  return Readable.from(source);
}

/** A byte stream that ends at once: what a range past the end of a blob reads as. */
export function emptyStream(): Readable {
  return new Readable({
    read() {
      this.push(null);
    },
  });
}
