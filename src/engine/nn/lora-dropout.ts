/**
 * Deterministic LoRA dropout. PEFT drops each adapted linear's input (its own mask per module) before
 * lora_A; here each mask is a bool graph input [B, T, in] (true = kept; loraLinear scales kept values
 * by 1/(1−p)), filled before every step from the engine's seeded PRNG. Same seed ⇒ same masks ⇒ same
 * losses, and the PRNG state (four words) goes into checkpoints so a resumed run draws the masks it
 * would have drawn. Each 32-bit draw decides two elements (16 bits each), so p is applied in steps of
 * 1/65536 (p = 0.05 drops 3277/65536 = 0.050003): bytes and PRNG calls are what a large [B, T, in] costs.
 */
import { type PrngState, Xoshiro128 } from '../data/prng.js';
import type { Graph } from '../graph/graph.js';
import type { LoraConfig, LoraModule } from './lora.js';
import { loraParamSpecs } from './lora.js';
import type { LlamaConfig } from './presets.js';

/** The graph input name of the mask for linear `layers.3.wq`. */
export const loraMaskInput = (linear: string): string => `lora_dropout.${linear}`;

interface MaskSpec {
  linear: string;
  shape: [number, number, number]; // [B, T, in]
}

function maskSpecs(cfg: LlamaConfig, lora: LoraConfig, B: number, T: number): MaskSpec[] {
  return loraParamSpecs(cfg, lora)
    .filter((s) => s.kind === 'A')
    .map((s) => ({ linear: s.linear, shape: [B, T, s.shape[0]] }));
}

/** Adds a mask input to every adapter (no-op when dropout is 0). Adapters are keyed by linear name. */
export function declareLoraDropout(graph: Graph, cfg: LlamaConfig, lora: LoraConfig, shape: { batch: number; seqLen: number }, adapters: Record<string, LoraModule>): void {
  if (lora.dropout === 0) return;
  for (const m of maskSpecs(cfg, lora, shape.batch, shape.seqLen)) adapters[m.linear]!.mask = graph.input(loraMaskInput(m.linear), m.shape, 'bool');
}

/** Preallocated mask buffers and the PRNG that refills them. */
export class LoraDropoutMasks {
  readonly feeds: Record<string, Uint8Array> = {};
  private rng: Xoshiro128;

  constructor(
    cfg: LlamaConfig,
    private readonly lora: LoraConfig,
    shape: { batch: number; seqLen: number },
    seedOrState: number | PrngState,
  ) {
    this.rng = typeof seedOrState === 'number' ? Xoshiro128.fromSeed(seedOrState) : Xoshiro128.fromState(seedOrState);
    if (lora.dropout === 0) return;
    for (const m of maskSpecs(cfg, lora, shape.batch, shape.seqLen)) this.feeds[loraMaskInput(m.linear)] = new Uint8Array(m.shape[0] * m.shape[1] * m.shape[2]);
  }

  /** Draws fresh masks for the next step (in a fixed order, so the stream is reproducible). */
  next(): Record<string, Uint8Array> {
    const drop = Math.round(this.lora.dropout * 65536); // a 16-bit draw below this drops the element
    for (const buf of Object.values(this.feeds)) {
      for (let i = 0; i < buf.length; i += 2) {
        const u = this.rng.nextUint32();
        buf[i] = (u & 0xffff) >= drop ? 1 : 0;
        if (i + 1 < buf.length) buf[i + 1] = u >>> 16 >= drop ? 1 : 0;
      }
    }
    return this.feeds;
  }

  state(): PrngState {
    return this.rng.state();
  }
}
