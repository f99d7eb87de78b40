/**
 * Interop: a briefly trained model exported to GGUF must continue prompts in llama.cpp (node-llama-cpp's
 * CPU build, greedy at temperature 0) exactly as Crucible's own argmax over llamaForward logits does.
 * For quantized files Crucible decodes with the dequantized weights read back by our reader, so both
 * sides run the same numbers; only arithmetic order (and llama.cpp's int8 activations) differ.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenBatch } from '../data/batch-sampler.js';
import type { LlamaConfig } from '../nn/presets.js';
import { markovCorpus } from '../train/markov-corpus.js';
import { Trainer } from '../train/trainer.js';
import { exportGguf, importGguf, type GgufExportType } from './gguf-llama.js';
import { greedyContinuations } from './test-logits.js';
import { buildByteLevelBpeTokenizer } from './tokenizer-json.js';

type NodeLlamaCpp = typeof import('node-llama-cpp');
let nlc: NodeLlamaCpp | undefined;
let importError = '';
try {
  nlc = await import('node-llama-cpp');
} catch (err) {
  importError = (err as Error).message;
  console.warn(`SKIPPED llama.cpp interop: node-llama-cpp cannot be imported here (${importError})`);
}

// Small but real: GQA (4 query heads over 2 KV heads) exercises both rotary permutations; every row
// length is a multiple of 32 so q8_0 applies to every matrix.
const cfg: LlamaConfig = { vocabSize: 288, hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, maxSeqLen: 256, ropeTheta: 10_000, normEps: 1e-5, tiedEmbeddings: false };
const prompts = [[3, 17, 42], [9], [60, 1, 33, 7, 12]];
const STEPS = 12;

/** The tied-embedding variant (no `output` tensor: llama.cpp reuses token_embd), with MHA instead of GQA. */
const tiedCfg: LlamaConfig = { ...cfg, kvHeads: 4, tiedEmbeddings: true };

let dir: string;
let params: Float32Array;
let tiedParams: Float32Array;
const tokenizer = buildByteLevelBpeTokenizer({ vocabSize: cfg.vocabSize });

/**
 * Trains briefly on a 64-state Markov chain: the trained model's argmax follows each state's most likely
 * successor by a clear margin (weights 1, ½, ¼, ⅛), so greedy outputs vary with the prompt instead of
 * repeating one token, and near-ties (where f32 summation order could flip an argmax) are unlikely.
 */
async function trainBriefly(config: LlamaConfig): Promise<Float32Array> {
  const [B, T, steps] = [8, 32, 80];
  const corpus = markovCorpus({ seed: 5, length: 20_000, states: 64, branching: 4 }).tokens;
  const trainer = await Trainer.create(config, { batch: B, seqLen: T, seed: 3, schedule: { kind: 'constant', lr: 1e-2, warmupSteps: 5 } });
  let loss = 0;
  for (let s = 0; s < steps; s++) {
    const at = (s * B * T * 7) % (corpus.length - B * T - 1);
    const batch: TokenBatch = { inputs: Int32Array.from(corpus.subarray(at, at + B * T)), targets: Int32Array.from(corpus.subarray(at + 1, at + 1 + B * T)) };
    loss = (await trainer.step(batch)).loss;
  }
  console.log(`trained ${steps} steps (${config.tiedEmbeddings ? 'tied' : 'untied'}): loss ${loss.toFixed(3)} (uniform ${Math.log(config.vocabSize).toFixed(3)})`);
  return trainer.params.slice();
}

beforeAll(async () => {
  dir = join(tmpdir(), `test-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  if (nlc === undefined) return;
  params = await trainBriefly(cfg);
  tiedParams = await trainBriefly(tiedCfg);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(nlc === undefined)('GGUF in llama.cpp (node-llama-cpp)', () => {
  let llamaCpp: ReturnType<NodeLlamaCpp['getLlama']> | undefined; // loaded once, by the first test
  const run = async (type: GgufExportType, tied = false): Promise<void> => {
    const config = tied ? tiedCfg : cfg;
    const trained = tied ? tiedParams : params;
    const label = `${type}${tied ? ' tied' : ''}`;
    const path = join(dir, `model-${type}${tied ? '-tied' : ''}.gguf`);
    await exportGguf(path, config, trained, tokenizer, { type, name: `interop-${type}` });
    // f32/f16 are compared with the trained weights themselves, so that a layout mistake shared by our
    // writer and reader (say, a wrong q/k permutation) cannot cancel out; quantized files with the
    // weights the file holds (dequantized by our reader), since llama.cpp computes with those.
    const weights = type === 'f32' || type === 'f16' ? trained : (await importGguf(path)).params;
    const ours = await greedyContinuations(config, weights, prompts, STEPS);

    const t0 = performance.now();
    llamaCpp ??= nlc!.getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: nlc!.LlamaLogLevel.error });
    const llama = await llamaCpp;
    const t1 = performance.now();
    const model = await llama.loadModel({ modelPath: path });
    const theirs: number[][] = [];
    try {
      // One thread: on a small shared box llama.cpp's spinning thread pool is 100× slower with more.
      const context = await model.createContext({ contextSize: 64, batchSize: 64, threads: 1 });
      const sequence = context.getSequence();
      for (const prompt of prompts) {
        await sequence.clearHistory();
        const out: number[] = [];
        for await (const token of sequence.evaluate(prompt as never, { temperature: 0 })) {
          out.push(Number(token));
          if (out.length >= STEPS) break;
        }
        theirs.push(out);
      }
      await context.dispose();
      // The embedded vocabulary decodes as the tokenizer says: byte tokens are bytes, merges are pieces.
      expect(model.detokenize([104, 105] as never)).toBe('hi');
      // llama.cpp's BPE applies our merges: " the" → "Ġt" (a merge) + "h" + "e"; any text survives a round trip.
      const vocab = (tokenizer as { model: { vocab: Record<string, number> } }).model.vocab;
      expect(model.tokenize(' the').map(Number)).toEqual([vocab['Ġt'], vocab['h'], vocab['e']]);
      const text = 'Hello, wörld!\n\ttabs — ünïcödé 123';
      expect(model.detokenize(model.tokenize(text))).toBe(text);
      expect(model.tokens.bos).toBe(cfg.vocabSize - 3); // <|endoftext|>, the builder's first special token
      expect(model.tokens.eos).toBe(cfg.vocabSize - 3);
    } finally {
      await model.dispose();
    }
    console.log(`${label}: getLlama ${((t1 - t0) / 1000).toFixed(1)} s, load + generate ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    prompts.forEach((p, i) => console.log(`${label} prompt [${p.join(' ')}] → crucible [${ours[i]!.join(' ')}] | llama.cpp [${theirs[i]!.join(' ')}]`));
    expect(new Set(ours.map((o) => o.join(' '))).size, 'continuations should differ per prompt').toBeGreaterThan(1);
    expect(theirs).toEqual(ours);
  };

  it('f32: llama.cpp greedy continuations equal Crucible\'s', () => run('f32'), 90_000);
  it('f16: the same', () => run('f16'), 90_000);
  it('q8_0: the same', () => run('q8_0'), 90_000);
  it('q4_0: the same', () => run('q4_0'), 90_000);
  it('f32 with tied embeddings (no output tensor): the same', () => run('f32', true), 90_000);
});
