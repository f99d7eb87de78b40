/**
 * Token batches as the step graphs take them: int64 [B, T], checked on the way in. An out-of-range id
 * would otherwise surface as an opaque Gather error inside ONNX Runtime, many frames away from its cause.
 */
import type { TokenBatch } from '../data/batch-sampler.js';

export const IGNORE_INDEX = -100;

/** Copies int ids into an int64 buffer, checking that each is in [0, V) (or the ignore index, for targets). */
export function fillInt64(into: BigInt64Array, ids: ArrayLike<number>, vocabSize: number, what: 'inputs' | 'targets'): BigInt64Array {
  if (ids.length !== into.length) throw new Error(`${what}: expected ${into.length} ids ([B, T] flattened), got ${ids.length}`);
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i]!;
    if (!(Number.isInteger(t) && t >= 0 && t < vocabSize) && !(what === 'targets' && t === IGNORE_INDEX)) {
      throw new Error(`${what}[${i}] = ${t} is not a token id in [0, ${vocabSize})${what === 'targets' ? ` nor the ignore index ${IGNORE_INDEX}` : ''}; check the tokenizer's vocab size against the model's`);
    }
    into[i] = BigInt(t);
  }
  return into;
}

/** Preallocated int64 feeds for k micro-batches of [b, T]; `load` splits a [k·b, T] batch into them, in row order. */
export class MicroBatchFeeds {
  readonly micro: { tokens: BigInt64Array; targets: BigInt64Array }[];

  constructor(
    readonly microBatches: number, // k
    readonly rowsPerMicro: number, // b
    readonly seqLen: number, // T
    private readonly vocabSize: number,
  ) {
    const n = rowsPerMicro * seqLen;
    this.micro = Array.from({ length: microBatches }, () => ({ tokens: new BigInt64Array(n), targets: new BigInt64Array(n) }));
  }

  load(batch: TokenBatch): this {
    const n = this.rowsPerMicro * this.seqLen;
    const want = n * this.microBatches;
    if (batch.inputs.length !== want || batch.targets.length !== want) {
      throw new Error(
        `batch: expected inputs and targets of B·T = ${this.microBatches * this.rowsPerMicro}·${this.seqLen} = ${want} ids, got ${batch.inputs.length} and ${batch.targets.length}`,
      );
    }
    this.micro.forEach((m, i) => {
      fillInt64(m.tokens, batch.inputs.subarray(i * n, (i + 1) * n), this.vocabSize, 'inputs');
      fillInt64(m.targets, batch.targets.subarray(i * n, (i + 1) * n), this.vocabSize, 'targets');
    });
    return this;
  }
}
