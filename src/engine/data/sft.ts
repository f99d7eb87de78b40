/**
 * Supervised fine-tuning batches: (prompt, completion) token pairs → padded [B, T] inputs and targets
 * where only completion tokens are scored. Row b holds s = prompt ++ completion shifted by one:
 * inputs[t] = s[t], targets[t] = s[t+1] when s[t+1] is a completion token, else −100 (the ignore index
 * the cross-entropy skips), and −100 on padding. So the loss is the mean over completion tokens only,
 * and the model is never trained to produce the prompt.
 */
import type { TokenBatch } from './batch-sampler.js';

export const SFT_IGNORE_INDEX = -100;

export interface SftExample {
  prompt: ArrayLike<number>; // token ids, ≥ 1
  completion: ArrayLike<number>; // token ids, ≥ 1 (end it with an EOS id to teach stopping)
}

export interface SftBatchOptions {
  seqLen: number; // T: prompt + completion − 1 must fit
  /** Rows of the batch (B, default: one per example); rows beyond the examples are all padding. */
  rows?: number;
  /** Input id at padded positions (default 0; its targets are ignored, and causal attention keeps it from earlier positions). */
  padId?: number;
}

/** One [B, T] batch: inputs, targets (−100 on prompt and padding), and how many targets are scored. */
export function sftBatch(examples: readonly SftExample[], opts: SftBatchOptions): TokenBatch & { scored: number } {
  const T = opts.seqLen;
  const B = opts.rows ?? examples.length;
  const pad = opts.padId ?? 0;
  if (!Number.isInteger(T) || T <= 0 || !Number.isInteger(B) || B <= 0) throw new Error(`sftBatch: seqLen and rows must be positive integers, got seqLen=${T}, rows=${B}`);
  if (examples.length > B) throw new Error(`sftBatch: ${examples.length} examples do not fit in ${B} rows; split them into batches of ${B}`);
  const inputs = new Int32Array(B * T).fill(pad);
  const targets = new Int32Array(B * T).fill(SFT_IGNORE_INDEX);
  let scored = 0;
  examples.forEach((ex, b) => {
    const P = ex.prompt.length;
    const C = ex.completion.length;
    if (P === 0 || C === 0) throw new Error(`sftBatch: example ${b} has an empty ${P === 0 ? 'prompt' : 'completion'}; each needs at least one token (prepend a BOS id to an empty prompt)`);
    if (P + C - 1 > T) throw new Error(`sftBatch: example ${b} has ${P} prompt + ${C} completion tokens, more than seqLen + 1 = ${T + 1}; raise seqLen or shorten it`);
    const at = (i: number): number => (i < P ? ex.prompt[i]! : ex.completion[i - P]!);
    for (let t = 0; t < P + C - 1; t++) {
      inputs[b * T + t] = at(t);
      if (t + 1 >= P) {
        targets[b * T + t] = at(t + 1); // a completion token: scored
        scored++;
      }
    }
  });
  return { inputs, targets, scored };
}

/** Consecutive batches of `rows` examples (the last one padded with empty rows). */
export function* sftBatches(examples: readonly SftExample[], opts: SftBatchOptions & { rows: number }): Generator<TokenBatch & { scored: number }> {
  for (let i = 0; i < examples.length; i += opts.rows) yield sftBatch(examples.slice(i, i + opts.rows), opts);
}
