/**
 * A batch of sequences decoded together, one token each per step, over one KV cache. Sequences join
 * (prefilled together, left-padded, then merged into the cache) and leave between steps: the
 * mechanism under continuous batching. Each sequence keeps its own position (its cached length n_b);
 * the attention mask hides the left padding of shorter rows.
 */
import { ort } from '../onnx/session.js';
import { DECODER_IO } from './decoder-graph.js';
import type { Decoder } from './decoder.js';
import { type CacheRow, KvCache } from './kv-cache.js';

interface Row {
  id: number;
  n: number; // tokens in the cache (= the position of the next token)
}

export class BatchDecoder {
  private rows: Row[] = [];
  private readonly cache: KvCache;
  private readonly V: number;
  /** Host buffers reused by every step (grown on demand): ids and positions [B], mask [B, P+1], logits [B, V]. */
  private ids = new BigInt64Array(0);
  private pos = new BigInt64Array(0);
  private mask = new BigInt64Array(0);
  private logits = new Float32Array(0);

  constructor(readonly decoder: Decoder) {
    if (decoder.logits !== 'last') throw new Error("BatchDecoder: build the Decoder with logits: 'last' (only the newest position is sampled)");
    const { cfg } = decoder;
    this.cache = new KvCache(cfg.layers, cfg.kvHeads, cfg.hidden / cfg.heads);
    this.V = cfg.vocabSize;
  }

  /** Sequence ids in row order (the order of step()'s tokens and logits). */
  get order(): readonly number[] {
    return this.rows.map((r) => r.id);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Cache columns P (the longest row; shorter rows are left-padded). */
  get width(): number {
    return this.cache.length;
  }

  /** Cached tokens of a sequence (its next position). */
  lengthOf(id: number): number {
    const r = this.rows.find((x) => x.id === id);
    if (!r) throw new Error(`BatchDecoder: no sequence ${id} in the batch`);
    return r.n;
  }

  /**
   * Prefills new sequences (together, left-padded to the longest prompt) and adds them to the batch.
   * Returns each one's next-token logits [V], in the order given (copies: safe to keep).
   */
  async add(prompts: readonly { id: number; tokens: readonly number[] }[]): Promise<Float32Array[]> {
    if (prompts.length === 0) return [];
    for (const p of prompts) {
      if (p.tokens.length === 0) throw new Error(`BatchDecoder: sequence ${p.id} has an empty prompt; give it at least one token (e.g. BOS)`);
      if (this.rows.some((r) => r.id === p.id)) throw new Error(`BatchDecoder: sequence ${p.id} is already in the batch`);
    }
    const B = prompts.length;
    const S = Math.max(...prompts.map((p) => p.tokens.length));
    const ids = new BigInt64Array(B * S);
    const mask = new BigInt64Array(B * S);
    const pos = new BigInt64Array(B * S); // padding sits at position 0 (hidden by the mask anyway)
    prompts.forEach((p, b) => {
      const pad = S - p.tokens.length;
      for (let i = 0; i < p.tokens.length; i++) {
        ids[b * S + pad + i] = BigInt(p.tokens[i]!);
        mask[b * S + pad + i] = 1n;
        pos[b * S + pad + i] = BigInt(i);
      }
    });
    const { logits, present } = await this.decoder.run({ B, S, inputIds: ids, attentionMask: mask, positionIds: pos, past: this.decoder.emptyPast(B) });
    const past = this.cache.past();
    const merged: CacheRow[] = [
      ...this.rows.map((r, row) => ({ src: past, row, n: r.n })),
      ...prompts.map((p, row) => ({ src: present, row, n: p.tokens.length })),
    ];
    this.cache.rebuild(merged);
    this.rows.push(...prompts.map((p) => ({ id: p.id, n: p.tokens.length })));
    return prompts.map((_, b) => logits.slice(b * this.V, (b + 1) * this.V));
  }

  /** Drops sequences from the batch (the cache is compacted to the longest remaining row). */
  remove(ids: readonly number[]): void {
    const drop = new Set(ids);
    if (!ids.some((id) => this.rows.some((r) => r.id === id))) return;
    const past = this.cache.past();
    const keep = this.rows.map((r, row) => ({ r, row })).filter(({ r }) => !drop.has(r.id));
    this.cache.rebuild(keep.map(({ r, row }) => ({ src: past, row, n: r.n })));
    this.rows = keep.map(({ r }) => r);
  }

  /**
   * One decode step: `tokens[b]` is the next token of the sequence in row b (see `order`).
   * Returns logits [B, V] in row order: a view valid until the next call.
   */
  async step(tokens: ArrayLike<number>): Promise<Float32Array> {
    const B = this.rows.length;
    if (tokens.length !== B) throw new Error(`BatchDecoder.step: expected ${B} tokens (one per sequence, in 'order'), got ${tokens.length}`);
    if (B === 0) return new Float32Array(0);
    const P = this.cache.length;
    const W = P + 1;
    if (this.ids.length < B) [this.ids, this.pos] = [new BigInt64Array(B), new BigInt64Array(B)];
    if (this.mask.length < B * W) this.mask = new BigInt64Array(Math.ceil(B * W * 1.5));
    if (this.logits.length < B * this.V) this.logits = new Float32Array(B * this.V);
    const mask = this.mask.subarray(0, B * W);
    mask.fill(0n);
    this.rows.forEach((r, b) => {
      this.ids[b] = BigInt(tokens[b]!);
      this.pos[b] = BigInt(r.n);
      mask.fill(1n, b * W + W - (r.n + 1), (b + 1) * W); // its n cached tokens and the new one
    });
    const present = this.cache.presentViews(1);
    const out: Record<string, ort.Tensor> = {
      [DECODER_IO.logits]: new ort.Tensor('float32', this.logits.subarray(0, B * this.V), [B, 1, this.V]),
    };
    for (let l = 0; l < this.decoder.cfg.layers; l++) {
      out[DECODER_IO.presentKey(l)] = present[2 * l]!;
      out[DECODER_IO.presentValue(l)] = present[2 * l + 1]!;
    }
    const { logits } = await this.decoder.run(
      { B, S: 1, inputIds: this.ids.subarray(0, B), attentionMask: mask, positionIds: this.pos.subarray(0, B), past: this.cache.past() as ort.Tensor[] },
      out,
    );
    this.cache.advance(1);
    for (const r of this.rows) r.n += 1;
    return logits;
  }
}
