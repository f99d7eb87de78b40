/**
 * Peak RSS of a fresh process that compiles a Llama train step and runs a few steps, printed as one JSON
 * line with the estimate beside it. A child process, so that nothing else the caller allocated (a test
 * runner, other sessions) is counted.
 * Run: node --import tsx src/engine/perf/train-step-rss.ts PRESET B T [STEPS]
 */
import { estimateTrainingMemory } from '../nn/presets-memory.js';
import { preset, type PresetName } from '../nn/presets.js';
import { LlamaTrainStep } from '../optim/train-step.js';
import { readVmHwm } from './peak-rss.js';

export interface TrainStepRss {
  preset: string;
  batch: number;
  seqLen: number;
  peakRssBytes: number;
  estimateBytes: number;
  ratio: number; // peak RSS / estimate
}

async function main(): Promise<void> {
  const [name, b, t, s] = process.argv.slice(2);
  const cfg = preset(name as PresetName);
  const [B, T, steps] = [Number(b), Number(t), Number(s ?? 2)];
  const step = await LlamaTrainStep.create(cfg, { batch: B, seqLen: T }, { session: { threads: 1 } });
  const tokens = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 7919) % cfg.vocabSize));
  // Two steps at least: the first writes one ping-pong set, the second the other.
  for (let i = 0; i < Math.max(2, steps); i++) await step.step(tokens, tokens, 1e-3);
  const peakRssBytes = readVmHwm() ?? process.resourceUsage().maxRSS * 1024;
  const estimateBytes = estimateTrainingMemory(cfg, { batch: B, seqLen: T }).total;
  const out: TrainStepRss = { preset: name!, batch: B, seqLen: T, peakRssBytes, estimateBytes, ratio: peakRssBytes / estimateBytes };
  console.log(JSON.stringify(out));
}

await main();
