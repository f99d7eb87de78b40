/**
 * The consumer side of one generation: an async iterator of tokens, a promise of the final result,
 * and cancel(). The engine pushes; nothing waits for the consumer (tokens queue up if it is slow).
 */
import type { TokenLogprob } from './sampler.js';

export interface GeneratedToken {
  id: number;
  /** 0-based index in the output. */
  index: number;
  /** Text of this token (with a detokenize function). */
  text?: string;
  logprob?: number;
  top?: TokenLogprob[];
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface GenerationResult {
  tokens: number[];
  /** The output text, cut before a text stop (with a detokenize function). */
  text?: string;
  finishReason: FinishReason;
  promptTokens: number;
  /** Per output token, when logprobs or topLogprobs were asked for. */
  logprobs?: { logprob: number; top?: TokenLogprob[] }[];
}

export class GenerationStream implements AsyncIterable<GeneratedToken> {
  /** Resolves when generation ends (rejects on an engine error). */
  readonly result: Promise<GenerationResult>;
  private queue: GeneratedToken[] = [];
  private wake: (() => void) | null = null;
  private done = false;
  private error: unknown = null;
  private settle!: { resolve: (r: GenerationResult) => void; reject: (e: unknown) => void };
  cancelled = false;

  constructor(private readonly onCancel: () => void) {
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.result.catch(() => {}); // the error also reaches the iterator; avoid an unhandled rejection
  }

  /** Stops generation; the result resolves with finishReason 'cancelled' and the tokens so far. */
  cancel(): void {
    if (this.done || this.cancelled) return;
    this.cancelled = true;
    this.onCancel();
  }

  push(t: GeneratedToken): void {
    this.queue.push(t);
    this.wake?.();
  }

  finish(r: GenerationResult): void {
    this.done = true;
    this.settle.resolve(r);
    this.wake?.();
  }

  fail(e: unknown): void {
    this.done = true;
    this.error = e;
    this.settle.reject(e);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<GeneratedToken> {
    for (;;) {
      while (this.queue.length) yield this.queue.shift()!;
      if (this.error) throw this.error;
      if (this.done) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
}
