/**
 * Forward + backward of a Llama preset (default `tiny`, B=16, T=256) through ONNX Runtime, against the
 * GEMM peak measured in the same process. Run: node --import tsx src/engine/nn/llama.bench.ts [preset] [B] [T]
 */
import { grad } from '../graph/autodiff.js';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { Session } from '../onnx/session.js';
import { LlamaTrainStep } from '../optim/train-step.js';
import { declareLlamaParams, initLlamaParams, llamaLoss, llamaParamSpecs } from './llama.js';
import { type PresetName, countParams, preset } from './presets.js';

/** Seconds per run: the best of `reps` after a warm-up (the box is shared, so the minimum is the signal). */
async function bestOf(run: () => Promise<unknown>, reps: number): Promise<number> {
  await run(); // warm-up (allocations, first-run planning)
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

/** GFLOP/s of Y = A@B, dA = dY@Bᵀ, dB = Aᵀ@dY at 2048×512×2048 (ENGINE-NOTES' peak measurement). */
async function gemmPeak(): Promise<number> {
  const [M, K, N] = [2048, 512, 2048];
  const graph = new Graph('gemm');
  const a = graph.input('a', [M, K]);
  const b = graph.input('b', [K, N]);
  const dy = graph.input('dy', [M, N]);
  graph.output('y', g.matmul(a, b));
  graph.output('da', g.matmul(dy, g.transpose(b)));
  graph.output('db', g.matmul(g.transpose(a), dy));
  const s = await Session.create(graph);
  const out = s.allocOutputs();
  const feeds = { a: new Float32Array(M * K).fill(0.01), b: new Float32Array(K * N).fill(0.01), dy: new Float32Array(M * N).fill(0.01) };
  const sec = await bestOf(() => s.run(feeds, out), 10);
  return (3 * 2 * M * K * N) / sec / 1e9;
}

async function main(): Promise<void> {
  const name = (process.argv[2] ?? 'tiny') as PresetName;
  const B = Number(process.argv[3] ?? 16);
  const T = Number(process.argv[4] ?? 256);
  const cfg = preset(name);
  const graph = new Graph(`${name}-fwd-bwd`);
  const params = declareLlamaParams(graph, cfg);
  const tokens = graph.input('tokens', [B, T], 'int64');
  const targets = graph.input('targets', [B, T], 'int64');
  const loss = llamaLoss(cfg, params, tokens, targets);
  const names = Object.keys(params);
  const grads = grad(loss, names.map((n) => params[n]!));
  graph.output('loss', loss);
  grads.forEach((d, i) => graph.output(`grad.${names[i]}`, d));

  const t0 = performance.now();
  const session = await Session.create(graph);
  const buildS = (performance.now() - t0) / 1000;
  const out = session.allocOutputs();
  const flat = initLlamaParams(cfg, 1);
  const feeds: Record<string, Float32Array | BigInt64Array> = {};
  let at = 0;
  for (const s of llamaParamSpecs(cfg)) feeds[s.name] = flat.subarray(at, (at += s.shape.reduce((a, b) => a * b, 1)));
  feeds.tokens = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 7919) % cfg.vocabSize));
  feeds.targets = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 104729) % cfg.vocabSize));

  const N = countParams(cfg);
  const flops = B * T * (6 * N + 12 * cfg.layers * cfg.hidden * T); // 6·N·tokens + attention (fwd+bwd)
  const report = (what: string, sec: number, peak: number): void => {
    const gflops = flops / sec / 1e9;
    console.log(
      `${name} ${what} B=${B} T=${T}: ${sec.toFixed(3)} s, ${Math.round((B * T) / sec)} tokens/s, ${gflops.toFixed(1)} GFLOP/s ` +
        `vs GEMM peak ${peak.toFixed(1)} GFLOP/s (same process) = MFU ${(gflops / peak).toFixed(2)}`,
    );
  };
  const reps = Number(process.env.REPS ?? 3);
  const peakBefore = await gemmPeak();
  const fwdBwd = await bestOf(() => session.run(feeds, out), reps);
  console.log(`  loss ${Number(out.loss!.data[0]).toFixed(4)}, session build ${buildS.toFixed(1)} s`);

  const trainer = await LlamaTrainStep.create(cfg, { batch: B, seqLen: T }, { initial: flat });
  const tok = feeds.tokens as BigInt64Array;
  const tgt = feeds.targets as BigInt64Array;
  const step = await bestOf(() => trainer.step(tok, tgt, 1e-3), reps);
  const peak = Math.max(peakBefore, await gemmPeak()); // best of two, like the runs
  report('fwd+bwd', fwdBwd, peak);
  report('train step (fwd+bwd+clip+AdamW)', step, peak);
  console.log(`  peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
}

await main();
