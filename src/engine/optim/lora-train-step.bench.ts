/**
 * A LoRA step against a full fine-tuning step of the same preset, batch and sequence length, in
 * interleaved rounds (best round each, so contention on a shared box hurts both alike).
 * Run: node --import tsx src/engine/optim/lora-train-step.bench.ts [preset] [B] [T] [r]   (ROUNDS=4 by default)
 * LoRA skips the base's weight gradients (about a third of the FLOPs) and its AdamW update, keeps no
 * [N] moments, and adds the adapters' small matmuls and, with dropout, the masks drawn in JS.
 */
import { LLAMA_LINEARS, initLlamaParams } from '../nn/llama.js';
import { loraNumParams, parseLoraConfig } from '../nn/lora.js';
import { flatLlamaBase } from '../nn/lora-base.js';
import { type PresetName, countParams, preset } from '../nn/presets.js';
import { LoraTrainStep } from './lora-train-step.js';
import { LlamaTrainStep } from './train-step.js';

async function main(): Promise<void> {
  const name = (process.argv[2] ?? 'tiny') as PresetName;
  const [B, T, r] = [Number(process.argv[3] ?? 8), Number(process.argv[4] ?? 128), Number(process.argv[5] ?? 8)];
  const rounds = Number(process.env.ROUNDS ?? 4);
  const cfg = preset(name);
  const params = initLlamaParams(cfg, 0);
  const base = flatLlamaBase(cfg, params);
  const tokens = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 7919) % cfg.vocabSize));
  const runs: { label: string; step: () => Promise<unknown> }[] = [];
  for (const dropout of [0, 0.05]) {
    const lora = parseLoraConfig({ r, alpha: 2 * r, dropout, targets: [...LLAMA_LINEARS] });
    const s = await LoraTrainStep.create(base, lora, { batch: B, seqLen: T });
    runs.push({ label: `LoRA r=${r} dropout ${dropout} (${loraNumParams(cfg, lora).toLocaleString('en-US')} trained)`, step: () => s.step(tokens, tokens, 1e-4) });
  }
  const full = await LlamaTrainStep.create(cfg, { batch: B, seqLen: T }, { initial: params });
  runs.push({ label: `full fine-tune (${countParams(cfg).toLocaleString('en-US')} trained)`, step: () => full.step(tokens, tokens, 1e-4) });
  const best = runs.map(() => Infinity);
  for (const run of runs) await run.step(); // warm-up
  for (let k = 0; k < rounds; k++)
    for (const [i, run] of runs.entries()) {
      const t0 = performance.now();
      await run.step();
      best[i] = Math.min(best[i]!, (performance.now() - t0) / 1000);
    }
  const fullBest = best[best.length - 1]!;
  console.log(`${name}, B=${B}, T=${T}, best of ${rounds} interleaved rounds:`);
  runs.forEach((run, i) => console.log(`  ${run.label}: ${best[i]!.toFixed(3)} s/step, ${Math.round((B * T) / best[i]!).toLocaleString('en-US')} tokens/s, ${(best[i]! / fullBest).toFixed(2)}× the full step's time`));
}

await main();
