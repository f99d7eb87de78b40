/**
 * Block quantization of one linear weight W [K, N] (stored [in, out]: y = x @ W) into ONNX Runtime's
 * MatMulNBits packing: each output column n is cut along K into blocks of `blockSize`, and each block
 * gets one float scale d and `bits`-bit codes q with ŵ = (q − 2^(bits−1)) · d.
 *
 *   codes  uint8 [N, ⌈K/bs⌉, bs·bits/8]   int4: two codes a byte, the lower K index in the low nibble
 *   scales float32 [N, ⌈K/bs⌉]
 *
 * A ragged last block (K not a multiple of bs, e.g. the tiny preset's ffn 688) is padded with zeros,
 * which cost nothing: they meet no input. This is a one-off preprocessing loop; inference runs the
 * packed weights through the matMulNBits op.
 */

export type QuantBits = 4 | 8;

export interface BlockQuantOptions {
  bits: QuantBits;
  /** Values per block along K: a power of two ≥ 16 (MatMulNBits' rule). Default 32. */
  blockSize?: number;
}

/** A quantized W [K, N], ready to feed the matMulNBits op. */
export interface QuantizedWeight {
  K: number; // in
  N: number; // out
  bits: QuantBits;
  blockSize: number;
  codes: Uint8Array; // [N, ⌈K/bs⌉, bs·bits/8]
  scales: Float32Array; // [N, ⌈K/bs⌉]
}

export const DEFAULT_BLOCK_SIZE = 32;

/** The shapes of a quantized weight's two tensors. */
export function nbitsShapes(q: Pick<QuantizedWeight, 'K' | 'N' | 'bits' | 'blockSize'>): { codes: [number, number, number]; scales: [number, number] } {
  const nb = Math.ceil(q.K / q.blockSize);
  return { codes: [q.N, nb, (q.blockSize * q.bits) / 8], scales: [q.N, nb] };
}

/**
 * Quantizes W [K, N] (row-major Float32Array) block-wise along K.
 * @example const q = quantizeBlocks(w, [256, 688], { bits: 4 }); // q.codes [688, 8, 16], q.scales [688, 8]
 */
export function quantizeBlocks(w: Float32Array, shape: readonly number[], opts: BlockQuantOptions): QuantizedWeight {
  const { bits } = opts;
  const bs = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (bits !== 4 && bits !== 8) throw new Error(`quantize: bits must be 4 or 8, got ${bits}`);
  if (!Number.isInteger(bs) || bs < 16 || (bs & (bs - 1)) !== 0) throw new Error(`quantize: blockSize must be a power of two ≥ 16 (ONNX Runtime's MatMulNBits needs one), got ${bs}`);
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d > 0))
    throw new Error(`quantize: expected a 2-D weight [in, out] with positive dims, got [${shape.join(',')}]; reshape it to the matrix that multiplies x first`);
  const [K, N] = shape as [number, number];
  if (w.length !== K * N) throw new Error(`quantize: weight [${K},${N}] needs ${K * N} values, got ${w.length}`);
  const { codes: cs, scales: ss } = nbitsShapes({ K, N, bits, blockSize: bs });
  const [, nb, blob] = cs;
  const codes = new Uint8Array(cs[0] * nb * blob);
  const scales = new Float32Array(ss[0] * nb);
  const zero = 2 ** (bits - 1); // 8 or 128: the code of 0
  const block = new Float32Array(bs);
  for (let n = 0; n < N; n++)
    for (let j = 0; j < nb; j++) {
      // The signed value of largest magnitude maps to the lowest code, −2^(bits−1), exactly (llama.cpp's
      // Q4_0 rule): all 2^bits levels are used, where amax / (2^(bits−1) − 1) would waste one.
      let extreme = 0;
      block.fill(0);
      for (let i = 0, k = j * bs; i < bs && k < K; i++, k++) {
        const v = w[k * N + n]!;
        if (!Number.isFinite(v)) throw new Error(`quantize: W[${k},${n}] is ${v}; a weight with non-finite values cannot be quantized (check the checkpoint)`);
        block[i] = v;
        if (Math.abs(v) > Math.abs(extreme)) extreme = v;
      }
      const d = extreme === 0 ? 0 : extreme / -zero; // (not −0: an all-zero block has scale 0)
      scales[n * nb + j] = d;
      const inv = d === 0 ? 0 : 1 / d;
      const at = (n * nb + j) * blob;
      for (let i = 0; i < bs; i++) {
        const q = Math.min(zero - 1, Math.max(-zero, Math.round(block[i]! * inv))) + zero; // 0 .. 2^bits − 1
        if (bits === 8) codes[at + i] = q;
        else codes[at + (i >> 1)]! |= q << ((i & 1) * 4);
      }
    }
  return { K, N, bits, blockSize: bs, codes, scales };
}

/** Bytes a quantized weight occupies (codes + scales). */
export const quantizedWeightBytes = (q: QuantizedWeight): number => q.codes.byteLength + q.scales.byteLength;
