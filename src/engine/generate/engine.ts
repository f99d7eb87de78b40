/**
 * Continuous batching: one loop decodes every running sequence together, one token each per step;
 * between steps, new requests are prefilled and join the batch and finished ones leave it, so a
 * short request never waits for a long one. Each sequence has its own sampler (options, PRNG,
 * penalties) and stop filter, so its output does not depend on what else is in the batch.
 *
 * @example
 * const engine = await GenerationEngine.create(cfg, llamaWeights(cfg, flat), { maxBatch: 16 });
 * const s = engine.generate([1, 15, 27], { maxTokens: 32, temperature: 0.7, topP: 0.9, seed: 1 });
 * for await (const t of s) process.stdout.write(`${t.id} `);
 * const { finishReason } = await s.result;
 */
import type { LlamaConfig } from '../nn/presets.js';
import { BatchDecoder } from './batch-decoder.js';
import type { DecoderWeights } from './decoder.js';
import { type GenerateOptions, type GenerateOptionsInput, parseGenerateOptions } from './options.js';
import { Sampler, type TokenChoice } from './sampler.js';
import { StepDecoder, type StepDecoderOptions } from './step-decoder.js';
import { type Detokenize, StopFilter } from './stop.js';
import { type FinishReason, type GeneratedToken, GenerationStream } from './token-stream.js';

export interface GenerationEngineOptions {
  /** Most sequences decoded together (default 32); more requests wait for a free row. */
  maxBatch?: number;
  /** Token ids → text, for `stopText` and the text of streamed tokens. */
  detokenize?: Detokenize;
}

interface Sequence {
  id: number;
  prompt: readonly number[];
  opts: GenerateOptions;
  sampler: Sampler;
  stop: StopFilter;
  choices: TokenChoice[];
  stream: GenerationStream;
  streamed: number; // tokens pushed to the stream
  textAt: number; // text length streamed
  finished: boolean;
}

export class GenerationEngine {
  private readonly batch: BatchDecoder;
  private readonly pending: Sequence[] = [];
  private readonly running = new Map<number, Sequence>();
  private nextId = 0;
  private loop: Promise<void> = Promise.resolve();
  private looping = false;
  private closed = false;
  /** Decode steps run (greedySteps of them chose every row's token in the graph), tokens generated, prefills. */
  readonly stats = { steps: 0, greedySteps: 0, tokens: 0, prefills: 0 };

  constructor(
    readonly decoder: StepDecoder,
    private readonly opts: GenerationEngineOptions = {},
  ) {
    this.batch = new BatchDecoder(decoder);
    const maxBatch = opts.maxBatch ?? 32;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`GenerationEngine: maxBatch must be an integer ≥ 1, got ${maxBatch}`);
  }

  /** Compiles the step decoder and starts an engine over it. */
  static async create(cfg: LlamaConfig, weights: DecoderWeights, opts: GenerationEngineOptions & StepDecoderOptions = {}): Promise<GenerationEngine> {
    return new GenerationEngine(await StepDecoder.create(cfg, weights, opts), opts);
  }

  get cfg(): LlamaConfig {
    return this.decoder.cfg;
  }

  /** Starts generating after `prompt` (token ids); tokens stream out of the returned iterator. */
  generate(prompt: readonly number[], options: GenerateOptionsInput = {}): GenerationStream {
    if (this.closed) throw new Error('GenerationEngine: closed; create a new engine');
    const opts = parseGenerateOptions(options);
    const { vocabSize: V, maxSeqLen } = this.cfg;
    if (prompt.length === 0) throw new Error('generate: the prompt is empty; give at least one token (e.g. BOS)');
    if (prompt.length > maxSeqLen) throw new Error(`generate: the prompt has ${prompt.length} tokens, more than the model's maxSeqLen ${maxSeqLen}; shorten it`);
    const bad = prompt.find((t) => !Number.isInteger(t) || t < 0 || t >= V) ?? opts.stop.flat().find((t) => t >= V);
    if (bad !== undefined) throw new Error(`generate: token id ${bad} is outside the vocabulary [0, ${V})`);
    const id = this.nextId++;
    const seq: Sequence = {
      id,
      prompt,
      opts,
      sampler: new Sampler(opts, V, prompt),
      stop: new StopFilter(opts.stop, opts.stopText, this.opts.detokenize),
      choices: [],
      stream: new GenerationStream(() => this.kick()),
      streamed: 0,
      textAt: 0,
      finished: false,
    };
    this.pending.push(seq);
    this.kick();
    return seq.stream;
  }

  /** Cancels everything and waits for the loop to stop. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.pending, ...this.running.values()]) s.stream.cancel();
    await this.loop;
  }

  /** Sequences waiting for a row, and decoding now. */
  get load(): { pending: number; running: number } {
    return { pending: this.pending.length, running: this.running.size };
  }

  private kick(): void {
    if (this.looping) return;
    this.looping = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        this.reap();
        await this.admit();
        this.reap();
        // NOTE: `looping` is cleared in the same synchronous turn as the idle check, so a request that
        // arrives after it starts a new loop instead of waiting for one that is about to end.
        if (this.running.size === 0 && this.pending.length === 0) return void (this.looping = false);
        if (this.running.size > 0) await this.step();
      }
    } catch (e) {
      this.looping = false;
      for (const s of [...this.pending, ...this.running.values()]) s.stream.fail(e);
      this.pending.length = 0;
      this.running.clear();
      if (this.batch.size) this.batch.remove([...this.batch.order]);
    }
  }

  /** Prefills waiting requests into free rows; each gets its first token from the prefill logits. */
  private async admit(): Promise<void> {
    const free = (this.opts.maxBatch ?? 32) - this.running.size;
    const cancelled = this.pending.filter((s) => s.stream.cancelled);
    for (const s of cancelled) this.finish(s, 'cancelled');
    const batch = this.pending.filter((s) => !s.stream.cancelled).slice(0, free);
    this.pending.splice(0, this.pending.length, ...this.pending.filter((s) => !s.finished && !batch.includes(s)));
    if (batch.length === 0) return;
    for (const s of batch) this.running.set(s.id, s); // before the prefill, so an error there reaches their streams
    const logits = await this.batch.add(batch.map((s) => ({ id: s.id, tokens: s.prompt })));
    this.stats.prefills += batch.length;
    batch.forEach((s, i) => this.accept(s, s.sampler.sample(logits[i]!)));
  }

  /** One decode step for every running sequence. */
  private async step(): Promise<void> {
    const order = this.batch.order;
    const rows = order.map((id) => this.running.get(id)!);
    const tokens = rows.map((s) => s.choices.at(-1)!.id); // each row's newest token
    // A batch of plain greedy rows takes its tokens from the graph's argmax: at batch 32 that skips
    // copying out and scanning 32 rows of logits (1.1–1.2× faster greedy decode in bench:generate).
    if (rows.every((s) => s.finished || s.sampler.plainGreedy)) {
      const next = await this.batch.stepGreedy(tokens);
      this.stats.steps++;
      this.stats.greedySteps++;
      rows.forEach((s, b) => {
        if (!s.finished) this.accept(s, s.sampler.take(next[b]!));
      });
      return;
    }
    const logits = await this.batch.step(tokens);
    this.stats.steps++;
    const V = this.cfg.vocabSize;
    rows.forEach((s, b) => {
      if (!s.finished) this.accept(s, s.sampler.sample(logits.subarray(b * V, (b + 1) * V)));
    });
  }

  /** Records a sampled token: stop sequences, max tokens, the context limit; streams what is final. */
  private accept(s: Sequence, choice: TokenChoice): void {
    if (s.stream.cancelled) return this.finish(s, 'cancelled'); // cancelled during the step: drop its token
    this.stats.tokens++;
    s.choices.push(choice);
    if (s.stop.push(choice.id)) return this.finish(s, 'stop');
    const atLimit = s.choices.length >= s.opts.maxTokens || this.batch.lengthOf(s.id) >= this.cfg.maxSeqLen;
    if (atLimit) return this.finish(s, 'length');
    this.flushStream(s);
  }

  private flushStream(s: Sequence): void {
    const text = s.stop.text();
    for (; s.streamed < s.stop.released; s.streamed++) {
      const c = s.choices[s.streamed]!;
      const t: GeneratedToken = { id: c.id, index: s.streamed };
      if (this.opts.detokenize) {
        // Text up to the end of this token (prefix-stable detokenization): the stop filter detokenized it once.
        const end = s.stop.textEnd(s.streamed);
        t.text = text.slice(s.textAt, end);
        s.textAt = end;
      }
      if (c.logprob !== undefined) t.logprob = c.logprob;
      if (c.top) t.top = c.top;
      s.stream.push(t);
    }
  }

  private finish(s: Sequence, reason: FinishReason): void {
    if (s.finished) return;
    s.finished = true;
    if (reason !== 'stop') s.stop.flush();
    this.flushStream(s);
    const tokens = s.stop.tokens.slice();
    const wantLogprobs = s.opts.logprobs || s.opts.topLogprobs > 0;
    s.stream.finish({
      tokens,
      ...(this.opts.detokenize ? { text: s.stop.text() } : {}),
      finishReason: reason,
      promptTokens: s.prompt.length,
      ...(wantLogprobs ? { logprobs: s.choices.slice(0, tokens.length).map((c) => ({ logprob: c.logprob!, ...(c.top ? { top: c.top } : {}) })) } : {}),
    });
  }

  /** Drops finished and cancelled sequences from the batch. */
  private reap(): void {
    const gone: number[] = [];
    for (const s of this.running.values()) {
      if (s.stream.cancelled) this.finish(s, 'cancelled');
      if (s.finished) gone.push(s.id);
    }
    for (const id of gone) this.running.delete(id);
    this.batch.remove(gone);
  }
}
