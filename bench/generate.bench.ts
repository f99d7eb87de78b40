/**
 * Generation throughput of the step decoder that serving runs (src/engine/generate: BatchDecoder over
 * StepDecoder and the host-kept KV cache), random-init `tiny` and `small`:
 * prefill tokens/s (one 128-token prompt), decode tokens/s at batch 1, and aggregate decode tokens/s
 * at batch 8 and 32 (every sequence one token per step), batch_scaling = b32 / b1 (target ≥ 8), and
 * ort_share_b1: the share of a batch-1 step spent inside ONNX Runtime's run (the rest is our JS).
 * Greedy decode with the token chosen, at batch 1 and 32, two ways in the same rounds: the graph's argmax
 * (what the engine runs for plain greedy rows; greedy_batch_scaling) and a host Sampler per row over the
 * logits (host_greedy); greedy_in_graph_speedup_b32 is the first over the second at batch 32.
 * Sampling (support/sampling-cost.ts): µs per row to choose a token from a batch-32 step's logits (greedy,
 * temperature 1, temperature 0.7 + top-p 0.9, greedy + logprobs), and what that adds to a batch-32 step.
 *
 * Variants differ only in the LinearFn every linear layer goes through: f32 (plainLinear), and the
 * int8 / int4 MatMulNBits linears of src/engine/quantize (block size 32).
 * llama.cpp peer (node-llama-cpp, a devDependency): the same weights exported to GGUF (f32, and q8_0 / q4_0
 * beside our int8 / int4), batch-1 greedy decode at llama.cpp's best of THREADS, THREADS − 1 and 1 threads
 * (support/llama-cpp-peer.ts: on a busy box it is fastest below the core count), in rounds taken in turn with
 * our batch-1 greedy decode of the same tokens; llama_cpp_ratio = ours / llama.cpp (f32), from those rounds.
 * The box is shared (2 cores, other work running): figures are best of ROUNDS; load only adds time.
 * Run: npm run bench:generate   (env: PRESETS=tiny,small STEPS=12 ROUNDS=10 THREADS=<cores>)
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { initLlamaParams, type LlamaParams } from '../src/engine/nn/llama.js';
import { type LlamaConfig, type PresetName, countParams, preset } from '../src/engine/nn/presets.js';
import { ort } from '../src/engine/onnx/session.js';
import { BatchDecoder } from '../src/engine/generate/batch-decoder.js';
import { type DecoderWeights, llamaWeights } from '../src/engine/generate/decoder.js';
import { StepDecoder } from '../src/engine/generate/step-decoder.js';
import { parseGenerateOptions } from '../src/engine/generate/options.js';
import { Sampler, argmax } from '../src/engine/generate/sampler.js';
import { STEP_IO } from '../src/engine/generate/step-graph.js';
import { COLUMN_CHUNK } from '../src/engine/generate/kv-cache.js';
import type { LinearFactory } from '../src/engine/generate/decoder-graph.js';
import { quantizeLlama, quantizedLinear } from '../src/engine/quantize/index.js';
import { buildByteLevelBpeTokenizer, exportGguf, type GgufExportType } from '../src/engine/formats/index.js';
import { type LlamaCppRound, openLlamaCppPeer, peerThreadCounts } from './support/llama-cpp-peer.js';
import { samplingCostUs } from './support/sampling-cost.js';

const PRESETS = (process.env.PRESETS ?? 'tiny,small').split(',') as PresetName[];
const STEPS = Number(process.env.STEPS ?? 12);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const THREADS = Number(process.env.THREADS ?? availableParallelism());
const PREFILL = 128;
const PROMPT = 16;
/** Idle time between our rounds and the llama.cpp peer's. */
const PAUSE_MS = 200;

/** One way of running the linears: the weights it needs and the LinearFn factory for the graph. */
interface Variant {
  name: string;
  prepare(cfg: LlamaConfig, flat: Float32Array): { weights: DecoderWeights; linear?: LinearFactory };
}

async function variants(): Promise<Variant[]> {
  const list: Variant[] = [{ name: 'f32', prepare: (cfg, flat) => ({ weights: llamaWeights(cfg, flat) }) }];
  for (const bits of [8, 4] as const)
    list.push({
      name: `int${bits}`,
      prepare: (cfg, flat) => {
        const q = quantizeLlama(cfg, flat, { bits });
        // Embedding and norms stay float (read from the graph's params); every linear is MatMulNBits.
        return { weights: llamaWeights(cfg, flat), linear: (_p: LlamaParams) => quantizedLinear(q.linears) };
      },
    });
  return list;
}

/** Our variant beside the GGUF tensor type llama.cpp runs for it. */
const GGUF_TYPE: Record<string, GgufExportType> = { f32: 'f32', int8: 'q8_0', int4: 'q4_0' };

/**
 * Ours against the llama.cpp peer on the same weights: batch-1 greedy decode of 4·STEPS tokens after the
 * same PROMPT-token prompt, the token chosen and fed back on both sides; our GGUF export at llama.cpp's best
 * thread count. Rounds alternate (ours, then the peer, loaded for its round), so a stretch of load from
 * other work hits both; each side's figure is its best round. Null where node-llama-cpp cannot be imported.
 */
async function versusLlamaCpp(dec: StepDecoder, flat: Float32Array, type: GgufExportType): Promise<{ ours: number; peer: LlamaCppRound } | null> {
  const { cfg } = dec;
  const dir = join(tmpdir(), `bench-generate-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  try {
    const path = join(dir, `model-${type}.gguf`);
    await exportGguf(path, cfg, flat, buildByteLevelBpeTokenizer({ vocabSize: cfg.vocabSize }), { type });
    const open = (): ReturnType<typeof openLlamaCppPeer> => openLlamaCppPeer(path, { prompt: prompt(0, PROMPT, cfg.vocabSize), tokens: 4 * STEPS, threads: peerThreadCounts(THREADS) });
    let ours = 0;
    let best: LlamaCppRound = { decodeTps: 0, threads: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      // A pause before each side: the other side's threads spin for a while after their work, and
      // would otherwise take cores from this side's first tokens.
      await sleep(PAUSE_MS);
      ours = Math.max(ours, await greedyDecodeTps(dec, 4 * STEPS));
      await sleep(PAUSE_MS);
      // The peer is loaded for its round only: while a llama.cpp model is loaded in this process, even
      // idle, our batch-1 decode measured ~17% slower (tiny int4, medians of 5: 868–886 against 1,062 tok/s).
      const peer = await open();
      if (!peer) return null;
      try {
        for (const x of await peer.round()) if (x.decodeTps > best.decodeTps) best = x;
      } finally {
        await peer.close();
      }
    }
    return { ours, peer: best };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Our batch-1 greedy decode as the engine runs it: tokens after the first (the prefill's) per second. */
async function greedyDecodeTps(dec: StepDecoder, tokens: number): Promise<number> {
  const bd = new BatchDecoder(dec);
  const [logits] = await bd.add([{ id: 0, tokens: prompt(0, PROMPT, dec.cfg.vocabSize) }]);
  let next: ArrayLike<number> = [argmax(logits!)];
  for (let i = 0; i < 2; i++) next = await bd.stepGreedy(next); // warm-up, as in measure()
  const t0 = performance.now();
  for (let i = 0; i < tokens; i++) next = await bd.stepGreedy(next);
  return tokens / ((performance.now() - t0) / 1000);
}

const best = async (rounds: number, f: () => Promise<number>): Promise<number> => {
  let b = Infinity;
  for (let i = 0; i < rounds; i++) b = Math.min(b, await f());
  return b;
};
const rotate = <T>(xs: T[], k: number): T[] => xs.map((_, i) => xs[(i + k) % xs.length]!);
const prompt = (i: number, n: number, V: number): number[] => Array.from({ length: n }, (_, j) => (i * 131 + j * 7 + 1) % V);

interface Figures {
  compile_s: number;
  prefill_tps: number;
  decode_tps_b1: number;
  decode_tps_b8: number;
  decode_tps_b32: number;
  batch_scaling: number;
  greedy_tps_b1: number;
  greedy_tps_b32: number;
  greedy_batch_scaling: number;
  host_greedy_tps_b1: number;
  host_greedy_tps_b32: number;
  greedy_in_graph_speedup_b32: number;
  ort_share_b1: number;
}

async function measure(dec: StepDecoder): Promise<Omit<Figures, 'compile_s'>> {
  const V = dec.cfg.vocabSize;
  let id = 0;
  const prefillS = await best(ROUNDS, async () => {
    const bd = new BatchDecoder(dec);
    const t0 = performance.now();
    await bd.add([{ id: id++, tokens: prompt(0, PREFILL, V) }]);
    return (performance.now() - t0) / 1000;
  });
  // ONNX Runtime alone on a batch-1 step's feeds (a PROMPT-token cache): what a step would cost with no JS around it.
  const L = dec.cfg.layers;
  const cache = new ort.Tensor('float32', new Float32Array(dec.cfg.kvHeads * COLUMN_CHUNK * dec.headSize), [1, dec.cfg.kvHeads, COLUMN_CHUNK, dec.headSize]);
  const feeds: Record<string, ort.Tensor> = {
    [STEP_IO.inputIds]: new ort.Tensor('int64', BigInt64Array.of(1n), [1, 1]),
    [STEP_IO.newLengths]: new ort.Tensor('int64', BigInt64Array.of(1n), [1]),
    [STEP_IO.cacheLengths]: new ort.Tensor('int64', BigInt64Array.of(BigInt(PROMPT)), [1]),
    [STEP_IO.logitRows]: new ort.Tensor('int64', BigInt64Array.of(0n), [1]),
  };
  for (let l = 0; l < L; l++) [feeds[STEP_IO.cacheKey(l)], feeds[STEP_IO.cacheValue(l)]] = [cache, cache];
  const ortOnlyStep = async (): Promise<number> => {
    await dec.session.ort.run(feeds);
    const t0 = performance.now();
    for (let s = 0; s < STEPS; s++) await dec.session.ort.run(feeds);
    return (performance.now() - t0) / 1000 / STEPS;
  };

  // Three ways to run a step, batch sizes and ways interleaved round by round, so a burst of load from
  // other work hits all of them alike; the ways take turns going first (the first after a new batch's
  // prefill ran slower in one run). The ONNX-Runtime-only b1 step runs right after each b1 logits step,
  // and the share comes from the best round.
  const modes = {
    /** The logits out, no token chosen (the decode_tps figures). */
    logits: async (bd: BatchDecoder, tokens: number[]) => void (await bd.step(tokens)),
    /** Greedy decode as the engine runs it for plain greedy rows: the graph's argmax, fed back. */
    greedy: async (bd: BatchDecoder, tokens: number[]) => void tokens.splice(0, tokens.length, ...(await bd.stepGreedy(tokens))),
    /** Greedy decode choosing on the host, as it ran before the graph's argmax: logits out, a Sampler per row. */
    hostGreedy: async (bd: BatchDecoder, tokens: number[], samplers: Sampler[]) => {
      const logits = await bd.step(tokens);
      for (let b = 0; b < tokens.length; b++) tokens[b] = samplers[b]!.sample(logits.subarray(b * V, (b + 1) * V)).id;
    },
  };
  type Mode = keyof typeof modes;
  const stepS = Object.fromEntries(Object.keys(modes).map((m) => [m, { 1: Infinity, 8: Infinity, 32: Infinity } as Record<number, number>])) as Record<Mode, Record<number, number>>;
  let ortShare = 1;
  for (let round = 0; round < ROUNDS; round++)
    for (const B of [1, 8, 32])
      for (const mode of rotate(Object.keys(modes) as Mode[], round)) {
        const bd = new BatchDecoder(dec);
        await bd.add(Array.from({ length: B }, (_, b) => ({ id: id++, tokens: prompt(b, PROMPT, V) })));
        const tokens = Array.from({ length: B }, (_, b) => (b * 17) % V);
        const samplers = Array.from({ length: B }, () => new Sampler(parseGenerateOptions({ temperature: 0 }), V));
        for (let s = 0; s < 2; s++) await modes[mode](bd, tokens, samplers); // warm-up
        const t0 = performance.now();
        for (let s = 0; s < STEPS; s++) await modes[mode](bd, tokens, samplers);
        const t = (performance.now() - t0) / 1000 / STEPS;
        if (mode === 'logits' && B === 1 && t < stepS.logits[1]!) ortShare = Math.min(1, (await ortOnlyStep()) / t);
        stepS[mode][B] = Math.min(stepS[mode][B]!, t);
      }
  const tps = (mode: Mode, B: number): number => B / stepS[mode][B]!;
  return {
    prefill_tps: PREFILL / prefillS,
    decode_tps_b1: tps('logits', 1),
    decode_tps_b8: tps('logits', 8),
    decode_tps_b32: tps('logits', 32),
    batch_scaling: tps('logits', 32) / tps('logits', 1),
    greedy_tps_b1: tps('greedy', 1),
    greedy_tps_b32: tps('greedy', 32),
    greedy_batch_scaling: tps('greedy', 32) / tps('greedy', 1),
    host_greedy_tps_b1: tps('hostGreedy', 1),
    host_greedy_tps_b32: tps('hostGreedy', 32),
    greedy_in_graph_speedup_b32: tps('greedy', 32) / tps('hostGreedy', 32),
    ort_share_b1: ortShare,
  };
}

/** Sampling cost per row on a batch-32 step's logits, and its share beside that step (`b32TokensPerS`). */
async function measureSampling(dec: StepDecoder, b32TokensPerS: number): Promise<Record<string, number>> {
  const V = dec.cfg.vocabSize;
  const bd = new BatchDecoder(dec);
  await bd.add(Array.from({ length: 32 }, (_, b) => ({ id: b, tokens: prompt(b, PROMPT, V) })));
  const logits = await bd.step(Array.from({ length: 32 }, (_, b) => (b * 17) % V));
  const us = samplingCostUs(logits, V, ROUNDS);
  const stepMs = (32 / b32TokensPerS) * 1000;
  const figures: Record<string, number> = {};
  for (const [k, x] of Object.entries(us)) figures[`${k}_us_row`] = x;
  figures.t1_b32_ms = (32 * us.t1!) / 1000;
  figures.t1_share_of_b32_step = figures.t1_b32_ms / (stepMs + figures.t1_b32_ms);
  console.log(
    `${dec.cfg.vocabSize}-token vocabulary, sampling per row: ${Object.entries(us).map(([k, x]) => `${k} ${x.toFixed(1)} µs`).join(', ')}; ` +
      `temperature 1 at batch 32: ${figures.t1_b32_ms.toFixed(2)} ms beside a ${stepMs.toFixed(2)} ms step (${(100 * figures.t1_share_of_b32_step).toFixed(0)}% of the two)`,
  );
  return figures;
}

async function main(): Promise<void> {
  console.log(`generate bench: ${PRESETS.join(', ')}, ${THREADS} threads, ${STEPS} steps × best of ${ROUNDS}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (shared machine)`);
  const results: Record<string, Figures & Partial<Record<'llama_cpp_decode_tps_b1' | 'llama_cpp_threads' | 'ours_beside_llama_cpp_tps_b1' | 'llama_cpp_ratio', number | null>>> = {};
  const sampling: Record<string, Record<string, number>> = {};
  const list = await variants();
  for (const name of PRESETS) {
    const cfg = preset(name);
    const flat = initLlamaParams(cfg, 1);
    const decoders: Record<string, StepDecoder> = {};
    for (const v of list) {
      const t0 = performance.now();
      const { weights, linear } = v.prepare(cfg, flat);
      const dec = (decoders[v.name] = await StepDecoder.create(cfg, weights, { ...(linear ? { linear } : {}), threads: THREADS }));
      const compile_s = (performance.now() - t0) / 1000;
      const f = { compile_s, ...(await measure(dec)) };
      results[`${name}_${v.name}`] = f;
      if (v.name === 'f32') sampling[name] = await measureSampling(dec, f.decode_tps_b32);
      console.log(
        `${name} (${(countParams(cfg) / 1e6).toFixed(1)}M) ${v.name}: prefill ${f.prefill_tps.toFixed(0)} tok/s; decode b1 ${f.decode_tps_b1.toFixed(1)}, ` +
          `b8 ${f.decode_tps_b8.toFixed(1)}, b32 ${f.decode_tps_b32.toFixed(1)} tok/s; batch_scaling ${f.batch_scaling.toFixed(2)} (target ≥ 8); ` +
          `greedy (argmax in the graph) b1 ${f.greedy_tps_b1.toFixed(1)}, b32 ${f.greedy_tps_b32.toFixed(1)} tok/s, scaling ${f.greedy_batch_scaling.toFixed(2)}, ` +
          `${f.greedy_in_graph_speedup_b32.toFixed(2)}× greedy on the host at b32 (${f.host_greedy_tps_b32.toFixed(1)} tok/s); ` +
          `ONNX Runtime ${(100 * f.ort_share_b1).toFixed(0)}% of a b1 step; compile ${compile_s.toFixed(1)} s`,
      );
    }
    for (const v of list) {
      const f = results[`${name}_${v.name}`]!;
      const cpp = await versusLlamaCpp(decoders[v.name]!, flat, GGUF_TYPE[v.name]!);
      f.llama_cpp_decode_tps_b1 = cpp?.peer.decodeTps ?? null;
      f.llama_cpp_threads = cpp?.peer.threads ?? null;
      f.ours_beside_llama_cpp_tps_b1 = cpp?.ours ?? null;
      f.llama_cpp_ratio = cpp ? cpp.ours / cpp.peer.decodeTps : null;
      if (cpp === null) console.log(`${name}: llama.cpp peer skipped (node-llama-cpp is not installed: npm install -D node-llama-cpp)`);
      else
        console.log(
          `${name} ${v.name} vs llama.cpp ${GGUF_TYPE[v.name]}: greedy decode b1, rounds in turn: ours ${cpp.ours.toFixed(1)} (${THREADS} threads) / llama.cpp ` +
            `${cpp.peer.decodeTps.toFixed(1)} tok/s (${cpp.peer.threads} threads, its best) = ${f.llama_cpp_ratio!.toFixed(2)} (target ≥ 0.7)`,
        );
      if (cpp === null) break;
    }
  }
  const top = results.tiny_f32 ?? Object.values(results)[0]!;
  const round = (x: number | null | undefined): number | null => (x == null ? null : Number(x.toFixed(x < 10 ? 3 : 1)));
  const perVariant = Object.fromEntries(
    Object.entries(results).map(([k, f]) => [k, Object.fromEntries(Object.entries(f).map(([m, x]) => [m, round(x as number | null)]))]),
  );
  console.log(
    `BENCH ${JSON.stringify({
      name: 'generate',
      decode_tps_b1: round(top.decode_tps_b1),
      decode_tps_b32: round(top.decode_tps_b32),
      batch_scaling: round(top.batch_scaling),
      greedy_batch_scaling: round(top.greedy_batch_scaling),
      greedy_in_graph_speedup_b32: round(top.greedy_in_graph_speedup_b32),
      prefill_tps: round(top.prefill_tps),
      ...(top.llama_cpp_ratio ? { llama_cpp_ratio: round(top.llama_cpp_ratio) } : {}),
      variants: perVariant,
      sampling: Object.fromEntries(Object.entries(sampling).map(([k, f]) => [k, Object.fromEntries(Object.entries(f).map(([m, x]) => [m, round(x)]))])),
      threads: THREADS,
      load_avg_1m: round(loadavg()[0]),
    })}`,
  );
}

await main();
