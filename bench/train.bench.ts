/**
 * Training throughput of the `tiny` Llama (10.5M parameters) at B=16, T=256 through the Trainer, with
 * batches drawn by the seeded sampler from a generated token shard (a Markov chain, so the loss moves).
 *
 * Prints, per timed step and in summary: tokens/s; achieved GFLOP/s = B·T·(6·N + 12·L·C·T) / step time
 * (6·N per token for the weight matrices, forward 2 + backward 4; 12·L·C·T per token for attention's
 * Q·Kᵀ and P·V, forward + backward, with the causal half counted since the kernels compute it; see
 * src/engine/train/flops.ts); the GEMM peak of this machine measured in the same process; MFU =
 * achieved / peak; peak RSS against estimateTrainingMemory; and, when Debian's python3-torch is
 * importable, the same model, batch and threads in PyTorch and the ratio of tokens/s.
 *
 * The box is shared, so measurements are interleaved in rounds: each of our timed steps is followed by a
 * short GEMM probe and by one PyTorch step (a fresh peer process: one warmup step, one timed), so
 * contention slows all three alike. Summary figures and the BENCH line use the best of each (load only
 * ever adds time); medians are printed beside them.
 * Run: npm run bench:train   (env: STEPS=5 WARMUP=2 THREADS=<cores> TORCH=0 to skip the peer)
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenShardReader } from '../src/engine/data/token-shard-reader.js';
import { writeTokenShard } from '../src/engine/data/token-shard-writer.js';
import { countParams, preset } from '../src/engine/nn/presets.js';
import { estimateTrainingMemory } from '../src/engine/nn/presets-memory.js';
import { measureGemmPeak } from '../src/engine/perf/gemm-peak.js';
import { PeakRssTracker } from '../src/engine/perf/peak-rss.js';
import { trainStepFlops } from '../src/engine/train/flops.js';
import { markovCorpus } from '../src/engine/train/markov-corpus.js';
import { Trainer } from '../src/engine/train/trainer.js';
import { runTorchPeer, torchAvailable, type TorchPeerResult } from './torch/torch-peer.js';

const MB = 2 ** 20;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, d = 1): string => x.toFixed(d);

async function main(): Promise<void> {
  const cfg = preset('tiny');
  const [B, T] = [16, 256];
  const steps = Number(process.env.STEPS ?? 5);
  const warmup = Number(process.env.WARMUP ?? 2);
  const threads = Number(process.env.THREADS ?? availableParallelism());
  const flops = trainStepFlops(cfg, { batch: B, seqLen: T });
  const N = countParams(cfg);
  console.log(`train bench: tiny (N = ${N.toLocaleString('en')}), B=${B}, T=${T}, ${threads} threads, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (shared machine)`);
  console.log(`FLOPs per step = B·T·(6·N + 12·L·C·T) = ${B}·${T}·(6·${N} + 12·${cfg.layers}·${cfg.hidden}·${T}) = ${fmt(flops / 1e9)} GFLOP`);

  const dir = join(tmpdir(), `bench-train-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  const shardPath = join(dir, 'markov.tok');
  await writeTokenShard(shardPath, markovCorpus({ seed: 1, length: 400_000, states: cfg.vocabSize, branching: 16 }).tokens, { vocabSize: cfg.vocabSize });
  const shard = TokenShardReader.open(shardPath);

  // A full-length probe before and after the timed rounds as well: a short probe under load can miss the peak.
  const peaks: number[] = [(await measureGemmPeak({ threads })).bestGflops];
  const baselineRss = process.memoryUsage.rss();
  const rss = new PeakRssTracker().start(20);
  const t0 = performance.now();
  const trainer = await Trainer.create(cfg, {
    batch: B,
    seqLen: T,
    shards: [shard],
    seed: 0,
    schedule: { lr: 1e-3, warmupSteps: 2, totalSteps: warmup + steps, minLr: 1e-4 },
    session: { threads },
  });
  console.log(`compiled the train step in ${fmt((performance.now() - t0) / 1000)} s`);
  for (let i = 0; i < warmup; i++) {
    const r = await trainer.step();
    console.log(`  warmup step ${r.step}: ${fmt(r.seconds, 3)} s, loss ${fmt(r.loss, 4)}`);
  }

  const withTorch = process.env.TORCH !== '0' && (await torchAvailable());
  if (!withTorch) console.log('PyTorch peer: skipped (TORCH=0, or Debian python3-torch is not importable by /usr/bin/python3)');
  const stepSec: number[] = [];
  const torchSec: number[] = [];
  let peer: TorchPeerResult | undefined;
  let trainingPeakRss = 0;
  for (let i = 0; i < steps; i++) {
    const r = await trainer.step();
    if (i === 0) trainingPeakRss = rss.peakBytes; // after warmup + one step, before any probe allocates its matrices
    const gemm = await measureGemmPeak({ threads, warmup: 1, runs: 2 });
    stepSec.push(r.seconds);
    peaks.push(gemm.bestGflops);
    const gflops = flops / r.seconds / 1e9;
    console.log(
      `  step ${r.step}: ${fmt(r.seconds, 3)} s, ${Math.round(r.tokensPerSecond)} tokens/s, ${fmt(gflops)} GFLOP/s, ` +
        `GEMM peak ${fmt(gemm.bestGflops)} GFLOP/s, MFU ${fmt(gflops / gemm.bestGflops, 3)}, loss ${fmt(r.loss, 4)}, grad norm ${fmt(r.gradNorm, 3)}, lr ${r.lr.toExponential(2)}`,
    );
    if (withTorch) {
      peer = await runTorchPeer({ ...cfg, batch: B, seqLen: T, threads, steps: 1, warmup: 1 });
      torchSec.push(peer!.best_step_s);
      console.log(`  PyTorch step: ${fmt(peer!.best_step_s, 3)} s, ${Math.round(peer!.best_tokens_per_s)} tokens/s, loss ${fmt(peer!.loss, 4)}`);
    }
  }
  rss.stop();
  peaks.push((await measureGemmPeak({ threads })).bestGflops);
  console.log(`GEMM peak probes (2048×512×2048, fwd + both grads): before ${fmt(peaks[0]!)}, after ${fmt(peaks[peaks.length - 1]!)} GFLOP/s`);
  shard.close();
  await rm(dir, { recursive: true, force: true });

  // Best-of figures estimate what the code does on a quiet machine (the load only ever adds time); medians show this run.
  const sec = Math.min(...stepSec);
  const tokensPerS = (B * T) / sec;
  const gflops = flops / sec / 1e9;
  const peak = Math.max(...peaks);
  const mfu = gflops / peak;
  const medGflops = flops / median(stepSec) / 1e9;
  console.log(
    `ours: best ${fmt(sec, 3)} s/step = ${Math.round(tokensPerS)} tokens/s = ${fmt(gflops)} GFLOP/s; GEMM peak (best of ${peaks.length} probes) ${fmt(peak)} GFLOP/s; MFU ${fmt(mfu, 3)} ` +
      `(medians: ${fmt(median(stepSec), 3)} s/step = ${Math.round((B * T) / median(stepSec))} tokens/s = ${fmt(medGflops)} GFLOP/s vs ${fmt(median(peaks))} = ${fmt(medGflops / median(peaks), 3)})`,
  );

  const estimate = estimateTrainingMemory(cfg, { batch: B, seqLen: T });
  const peakMb = trainingPeakRss / MB;
  const estMb = estimate.total / MB;
  const part = (x: number): string => fmt(x / MB, 0);
  console.log(
    `memory: peak RSS ${fmt(peakMb, 0)} MB vs estimate ${fmt(estMb, 0)} MB = ${fmt(peakMb / estMb, 2)}× (weights ${part(estimate.weights)} + grads ${part(estimate.grads)} + ` +
      `Adam ${part(estimate.adamMoments)} + ping-pong copy ${part(estimate.optimizerCopy)} + scratch ${part(estimate.scratch)} + activations ${part(estimate.activations)} + ` +
      `runtime ${part(estimate.runtime)}); the process held ${fmt(baselineRss / MB, 0)} MB before the trainer (incl. the GEMM probe's matrices) (exact high-water mark: ${rss.exact})`,
  );

  let torchRatio: number | undefined;
  if (peer !== undefined) {
    const torchBest = (B * T) / Math.min(...torchSec);
    torchRatio = tokensPerS / torchBest;
    console.log(
      `PyTorch ${peer.torch} peer, same model/batch/threads, ${torchSec.length} steps interleaved with ours: best ${fmt(Math.min(...torchSec), 3)} s/step = ${Math.round(torchBest)} tokens/s ` +
        `(median ${Math.round((B * T) / median(torchSec))}), peak RSS ${fmt(peer.peak_rss_mb, 0)} MB; ours / PyTorch = ${fmt(torchRatio, 2)}× best-to-best ` +
        `(${fmt(median(torchSec) / median(stepSec), 2)}× median-to-median)`,
    );
  }

  const bench: Record<string, number> = {
    tokens_per_s: Math.round(tokensPerS),
    gflops: Number(fmt(gflops)),
    peak_gflops: Number(fmt(peak)),
    mfu: Number(fmt(mfu, 3)),
    peak_rss_mb: Math.round(peakMb),
    memory_estimate_mb: Math.round(estMb),
    memory_ratio: Number(fmt(peakMb / estMb, 2)),
  };
  if (torchRatio !== undefined) bench.torch_ratio = Number(fmt(torchRatio, 2));
  console.log(`BENCH ${JSON.stringify({ name: 'train', ...bench })}`);
}

await main();
