/**
 * Test support (imported by *.test.ts only): logits of a Llama through `llamaForward` run by ONNX
 * Runtime, and greedy continuations by argmax over them. Greedy decoding recomputes the whole sequence
 * at a fixed length (right-padded: causal attention makes position t blind to what follows), so one
 * compiled graph serves every step and the check never depends on a KV cache.
 */
import { Graph } from '../graph/graph.js';
import { declareLlamaParams, llamaForward, llamaParamSpecs } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { Session, type Feed } from '../onnx/session.js';
import { splitParams } from './weight-layout.js';

/** Logits [B·T, V] for `rows` (B token rows of equal length T). */
export async function llamaLogits(cfg: LlamaConfig, params: Float32Array, rows: readonly (readonly number[])[]): Promise<Float32Array> {
  const B = rows.length;
  const T = rows[0]!.length;
  const graph = new Graph(`logits-${B}x${T}`);
  const p = declareLlamaParams(graph, cfg);
  const tokens = graph.input('tokens', [B, T], 'int64');
  graph.output('logits', llamaForward(cfg, p, tokens)); // [B*T, V]
  const session = await Session.create(graph, { threads: 2 });
  const feeds: Record<string, Feed> = Object.fromEntries(splitParams(params, llamaParamSpecs(cfg)));
  feeds.tokens = BigInt64Array.from(rows.flat(), BigInt);
  return (await session.run(feeds)).logits!.data as Float32Array;
}

/** The `steps` tokens that greedy (argmax) decoding appends to each prompt. */
export async function greedyContinuations(cfg: LlamaConfig, params: Float32Array, prompts: readonly (readonly number[])[], steps: number): Promise<number[][]> {
  const T = Math.max(...prompts.map((p) => p.length)) + steps;
  const seqs = prompts.map((p) => [...p]);
  for (let s = 0; s < steps; s++) {
    const logits = await llamaLogits(cfg, params, seqs.map((q) => [...q, ...new Array<number>(T - q.length).fill(0)]));
    seqs.forEach((q, b) => {
      const row = logits.subarray((b * T + q.length - 1) * cfg.vocabSize, (b * T + q.length) * cfg.vocabSize);
      let best = 0;
      for (let v = 1; v < row.length; v++) if (row[v]! > row[best]!) best = v;
      q.push(best);
    });
  }
  return seqs.map((q, b) => q.slice(prompts[b]!.length));
}

/** max |a − b| over two equal-length arrays. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
