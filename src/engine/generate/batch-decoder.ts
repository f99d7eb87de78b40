/**
 * A batch of sequences decoded together, one token each per step, over one KV cache. Sequences join
 * (prefilled together, their keys and values copied into new cache rows) and leave between steps: the
 * mechanism under continuous batching. Each row's cache starts at column 0, so a row's length is also
 * the position of its next token; the step graph masks every row past its own length.
 */
import { ort } from '../onnx/session.js';
import { KvCache } from './kv-cache.js';
import type { StepCall, StepDecoder } from './step-decoder.js';

/**
 * Most rows × S² one prefill call may score by default: its attention scores per head (and per layer, as
 * ONNX Runtime reuses them) are [rows, S, S] floats, so 2²¹ bounds them at 8 MB × heads however many long
 * prompts arrive at once.
 */
const PREFILL_SCORES = 1 << 21;

export class BatchDecoder {
  /** Sequence ids, in row order. */
  private rows: number[] = [];
  private readonly cache: KvCache;
  private readonly V: number;
  /** Host buffers reused by every step (grown on demand): ids, lengths and logit rows [B]. */
  private tokenIds = new BigInt64Array(0);
  private ones = new BigInt64Array(0);
  private lengths = new BigInt64Array(0);
  private logitRows = new BigInt64Array(0);

  constructor(
    readonly decoder: StepDecoder,
    private readonly opts: { prefillScores?: number } = {},
  ) {
    const { cfg } = decoder;
    this.cache = new KvCache(cfg.layers, cfg.kvHeads, cfg.hidden / cfg.heads);
    this.V = cfg.vocabSize;
  }

  /** Sequence ids in row order (the order of step()'s tokens and logits). */
  get order(): readonly number[] {
    return this.rows;
  }

  get size(): number {
    return this.rows.length;
  }

  /** The longest sequence's cached tokens. */
  get width(): number {
    return this.cache.longest;
  }

  /** Cached tokens of a sequence (its next position). */
  lengthOf(id: number): number {
    const b = this.rows.indexOf(id);
    if (b < 0) throw new Error(`BatchDecoder: no sequence ${id} in the batch`);
    return this.cache.length(b);
  }

  /**
   * Prefills new sequences (together, right-padded to the longest prompt, in groups whose attention
   * scores, rows × S², stay under `prefillScores`) and adds them to the batch. Returns each one's
   * next-token logits [V], in the order given (copies: safe to keep).
   */
  async add(prompts: readonly { id: number; tokens: readonly number[] }[]): Promise<Float32Array[]> {
    for (const p of prompts) {
      if (p.tokens.length === 0) throw new Error(`BatchDecoder: sequence ${p.id} has an empty prompt; give it at least one token (e.g. BOS)`);
      if (this.rows.includes(p.id)) throw new Error(`BatchDecoder: sequence ${p.id} is already in the batch`);
      if (prompts.filter((q) => q.id === p.id).length > 1) throw new Error(`BatchDecoder: sequence ${p.id} is given twice; give each sequence one id`);
    }
    const out: Float32Array[] = [];
    for (let i = 0; i < prompts.length; ) {
      let S = prompts[i]!.tokens.length;
      let n = 1;
      for (; i + n < prompts.length; n++) {
        const longest = Math.max(S, prompts[i + n]!.tokens.length);
        if ((n + 1) * longest * longest > (this.opts.prefillScores ?? PREFILL_SCORES)) break;
        S = longest;
      }
      out.push(...(await this.prefill(prompts.slice(i, i + n))));
      i += n;
    }
    return out;
  }

  private async prefill(prompts: readonly { id: number; tokens: readonly number[] }[]): Promise<Float32Array[]> {
    const { cfg } = this.decoder;
    const B = prompts.length;
    const S = Math.max(...prompts.map((p) => p.tokens.length));
    const ids = new BigInt64Array(B * S);
    prompts.forEach((p, b) => p.tokens.forEach((t, i) => (ids[b * S + i] = BigInt(t))));
    const lengths = prompts.map((p) => p.tokens.length);
    const empty = new ort.Tensor('float32', new Float32Array(0), [B, cfg.kvHeads, 0, this.decoder.headSize]);
    const { logits, newKv } = await this.decoder.run({
      B,
      S,
      inputIds: ids,
      newLengths: BigInt64Array.from(lengths, BigInt),
      cacheLengths: new BigInt64Array(B),
      logitRows: BigInt64Array.from(lengths, (n, b) => BigInt(b * S + n - 1)), // each prompt's last token
      cache: Array.from({ length: 2 * cfg.layers }, () => empty),
    });
    this.cache.appendRows(newKv, lengths);
    this.rows.push(...prompts.map((p) => p.id));
    return prompts.map((_, b) => logits.slice(b * this.V, (b + 1) * this.V));
  }

  /** Drops sequences from the batch. */
  remove(ids: readonly number[]): void {
    const drop = new Set(ids);
    const gone = this.rows.flatMap((id, b) => (drop.has(id) ? [b] : []));
    if (gone.length === 0) return;
    this.cache.removeRows(gone);
    this.rows = this.rows.filter((id) => !drop.has(id));
  }

  /**
   * One decode step: `tokens[b]` is the next token of the sequence in row b (see `order`).
   * Returns logits [B, V] in row order.
   */
  async step(tokens: ArrayLike<number>): Promise<Float32Array> {
    const call = this.stepCall(tokens);
    if (!call) return new Float32Array(0);
    const { logits, newKv } = await this.decoder.run(call);
    this.cache.appendColumn(newKv);
    return logits;
  }

  /**
   * One decode step that returns each row's greedy next token (the argmax of its logits, chosen in the
   * graph) instead of its logits: for a batch whose rows all decode greedily with nothing else to read
   * from the logits (no penalties, no log-probabilities).
   */
  async stepGreedy(tokens: ArrayLike<number>): Promise<Int32Array> {
    const call = this.stepCall(tokens);
    if (!call) return new Int32Array(0);
    const { tokens: next, newKv } = await this.decoder.runGreedy(call);
    this.cache.appendColumn(newKv);
    return Int32Array.from(next, Number);
  }

  /** The step graph's call for one new token per row, over the cache as it is; null for an empty batch. */
  private stepCall(tokens: ArrayLike<number>): StepCall | null {
    const B = this.rows.length;
    if (tokens.length !== B) throw new Error(`BatchDecoder.step: expected ${B} tokens (one per sequence, in 'order'), got ${tokens.length}`);
    if (B === 0) return null;
    if (this.tokenIds.length < B) {
      const n = Math.max(B, Math.ceil(this.tokenIds.length * 1.5));
      [this.tokenIds, this.lengths] = [new BigInt64Array(n), new BigInt64Array(n)];
      this.ones = new BigInt64Array(n).fill(1n);
      this.logitRows = BigInt64Array.from({ length: n }, (_, b) => BigInt(b));
    }
    const ids = this.tokenIds.subarray(0, B);
    for (let b = 0; b < B; b++) ids[b] = BigInt(tokens[b]!);
    return {
      B,
      S: 1,
      inputIds: ids,
      newLengths: this.ones.subarray(0, B),
      cacheLengths: this.cache.lengthsInto(this.lengths.subarray(0, B)),
      logitRows: this.logitRows.subarray(0, B),
      cache: this.cache.tensors(),
    };
  }
}
