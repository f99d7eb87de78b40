/**
 * Forward + backward, and the whole train step, of a Llama preset (default `tiny`, B=16, T=256) through
 * ONNX Runtime, against the GEMM peak measured in the same process.
 * Run: node --import tsx src/engine/nn/llama.bench.ts [preset] [B] [T]   (ROUNDS=6 by default)
 * The box is shared, so the three are measured in interleaved rounds and each keeps its best round:
 * contention then hurts numerator and denominator alike.
 */
import { grad } from '../graph/autodiff.js';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { Session } from '../onnx/session.js';
import { LlamaTrainStep } from '../optim/train-step.js';
import { declareLlamaParams, initLlamaParams, llamaLoss, llamaParamSpecs } from './llama.js';
import { type PresetName, countParams, preset } from './presets.js';

/** Y = A@B, dA = dY@Bᵀ, dB = Aᵀ@dY at 2048×512×2048 (ENGINE-NOTES' peak measurement); returns a runner and its FLOPs. */
async function gemmProbe(): Promise<{ run: () => Promise<unknown>; flops: number }> {
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
  return { run: () => s.run(feeds, out), flops: 3 * 2 * M * K * N };
}

async function main(): Promise<void> {
  const name = (process.argv[2] ?? 'tiny') as PresetName;
  const B = Number(process.argv[3] ?? 16);
  const T = Number(process.argv[4] ?? 256);
  const rounds = Number(process.env.ROUNDS ?? 6);
  const cfg = preset(name);

  const graph = new Graph(`${name}-fwd-bwd`);
  const params = declareLlamaParams(graph, cfg);
  const tokens = graph.input('tokens', [B, T], 'int64');
  const targets = graph.input('targets', [B, T], 'int64');
  const loss = llamaLoss(cfg, params, tokens, targets);
  const names = Object.keys(params);
  grad(loss, names.map((n) => params[n]!)).forEach((d, i) => graph.output(`grad.${names[i]}`, d));
  graph.output('loss', loss);
  const session = await Session.create(graph);
  const out = session.allocOutputs();
  const flat = initLlamaParams(cfg, 1);
  const feeds: Record<string, Float32Array | BigInt64Array> = {};
  let at = 0;
  for (const s of llamaParamSpecs(cfg)) feeds[s.name] = flat.subarray(at, (at += s.shape.reduce((a, b) => a * b, 1)));
  const tok = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 7919) % cfg.vocabSize));
  const tgt = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 104729) % cfg.vocabSize));
  Object.assign(feeds, { tokens: tok, targets: tgt });
  const trainer = await LlamaTrainStep.create(cfg, { batch: B, seqLen: T }, { initial: flat });
  const gemm = await gemmProbe();

  const runners: Record<string, () => Promise<unknown>> = {
    gemm: gemm.run,
    'fwd+bwd': () => session.run(feeds, out),
    'train step (fwd+bwd+clip+AdamW)': () => trainer.step(tok, tgt, 1e-3),
  };
  const best: Record<string, number> = {};
  for (let r = 0; r <= rounds; r++)
    for (const [k, run] of Object.entries(runners)) {
      const t0 = performance.now();
      await run();
      const sec = (performance.now() - t0) / 1000;
      if (process.env.VERBOSE) console.log(`  round ${r} ${k}: ${sec.toFixed(3)} s`);
      if (r > 0) best[k] = Math.min(best[k] ?? Infinity, sec); // round 0 warms up
    }

  const peak = gemm.flops / best.gemm! / 1e9;
  const flops = B * T * (6 * countParams(cfg) + 12 * cfg.layers * cfg.hidden * T); // 6·N·tokens + attention (fwd+bwd)
  for (const k of Object.keys(runners).slice(1)) {
    const sec = best[k]!;
    const gflops = flops / sec / 1e9;
    console.log(
      `${name} ${k} B=${B} T=${T}: ${sec.toFixed(3)} s, ${Math.round((B * T) / sec)} tokens/s, ${gflops.toFixed(1)} GFLOP/s ` +
        `vs GEMM peak ${peak.toFixed(1)} GFLOP/s (same process) = MFU ${(gflops / peak).toFixed(2)}`,
    );
  }
  console.log(`  loss ${Number(out.loss!.data[0]).toFixed(4)}, best of ${rounds} interleaved rounds, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
}

await main();
