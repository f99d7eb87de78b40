/** The op table's fused rows (RoPE, RMSNorm, attention, softmax cross-entropy) and frozen block-quantized weights. */
import { type Rows, fail, direct, sameDType, floatOnly, noGrad, sameShape, nbitsLayout, onnxDType } from './op-helpers.js';
import * as g from './ops.js';
import { fmtShape } from './shape.js';
import type { Tensor } from './tensor.js';

export const FUSED_OPS: Rows<'rotaryEmbedding' | 'rmsNorm' | 'attention' | 'softmaxCrossEntropy' | 'matMulNBits' | 'dequantizeNBits'> = {
  // ── fused standard ops, gradients written explicitly ────────────────────────────────────────
  rotaryEmbedding: {
    // inputs: x [B,H,S,HS] float32, cos and sin caches [M, HS/2], positions [B,S] int64 (rows of the caches).
    // ONNX RotaryEmbedding (opset 23, float32 on the CPU), rotate_half convention (interleaved = 0):
    // y1 = x1·cos − x2·sin, y2 = x2·cos + x1·sin over the two halves of HS.
    infer: ([x, cos, sin, pos]) => {
      const [B, , S, HS] = x!.shape;
      const ok = x!.rank === 4 && typeof HS === 'number' && cos!.rank === 2 && cos!.shape[1] === HS / 2 && sameShape(sin!.shape, cos!.shape) && sameShape(pos!.shape, [B!, S!]) && pos!.dtype === 'int64';
      if (!ok || x!.dtype !== 'float32')
        fail(`rotaryEmbedding: expected float32 x [B,H,S,HS], cos and sin [M,HS/2], int64 positions [B,S], got ${[x, cos, sin, pos].map((t) => `${fmtShape(t!.shape)}:${t!.dtype}`).join(', ')}`);
      return [{ shape: x!.shape, dtype: sameDType('rotaryEmbedding', [x!, cos!, sin!]) }];
    },
    emit: direct('RotaryEmbedding'),
    // NOTE: the rotation is orthogonal, so its VJP is the inverse rotation: the same op with −sin.
    vjp: ({ inputs: [, cos, sin, pos] }, [gy]) => [g.rotaryEmbedding(gy!, cos!, g.neg(sin!), pos!), null, null, null],
  },
  rmsNorm: {
    infer: ([x, scale]) => {
      const C = x!.shape[x!.rank - 1];
      if (scale!.rank !== 1 || scale!.shape[0] !== C) fail(`rmsNorm: expected x [...,C] and scale [C], got ${fmtShape(x!.shape)} and ${fmtShape(scale!.shape)}`);
      return [{ shape: x!.shape, dtype: sameDType('rmsNorm', [x!, scale!]) }];
    },
    emit: direct('RMSNormalization', ({ eps }) => ({ axis: -1, epsilon: { f: eps } })),
    vjp: ({ inputs: [x, scale], attrs: { eps } }, [gy]) => {
      // forward: r = 1/sqrt(mean(x²) + eps), x̂ = x·r, y = x̂·scale
      const r = g.rsqrt(g.add(g.reduceMean(g.mul(x!, x!), -1, true), eps)); // [..., 1]
      const xhat = g.mul(x!, r); // [..., C]
      const dxhat = g.mul(gy!, scale!); // [..., C]
      // dx = r·(dx̂ − x̂·mean(dx̂⊙x̂))
      const dx = g.mul(r, g.sub(dxhat, g.mul(xhat, g.reduceMean(g.mul(dxhat, xhat), -1, true))));
      return [dx, g.sumTo(g.mul(gy!, xhat), scale!)];
    },
  },
  attention: {
    // inputs: q [B,H,G*T,HS] (pre-scaled), k, v [B,H,T,HS], additive mask [T,T]; outputs: o [B,H,G*T,HS], p [B,H,G*T,T].
    // Forward: p = softmax(q·kᵀ + mask) over the last axis, with the G query heads of a KV group stacked
    // along time; o = p·v. Emitted as MatMul, Add, Softmax, MatMul (ONNX Attention measured no faster,
    // and the gradient needs p anyway).
    infer: ([q, k, v, mask], { groups: G }) => {
      const [B, H, GT, HS] = q!.shape;
      const T = k!.shape[2];
      const ok = q!.rank === 4 && sameShape(k!.shape, [B!, H!, T!, HS!]) && sameShape(v!.shape, k!.shape) && sameShape(mask!.shape, [T!, T!]) && GT === (T as number) * G;
      if (!ok) fail(`attention: expected q [B,H,G*T,HS], k and v [B,H,T,HS], mask [T,T] with G=${G}, got ${[q, k, v, mask].map((t) => fmtShape(t!.shape)).join(', ')}`);
      const dtype = sameDType('attention', [q!, k!, v!, mask!]);
      return [{ shape: q!.shape, dtype }, { shape: [B!, H!, GT!, T!], dtype }];
    },
    emit: (e, { inputs: [q, k, v, mask], outputs: [o, p], attrs: { groups: G } }) => {
      const GT = q!.shape[2] as number;
      const T = k!.shape[2] as number;
      // 0 copies B and H from the input, so a named batch dim needs no run-time shape.
      const kT = e.node('Transpose', [e.name(k!)], 1, { perm: [0, 1, 3, 2] })[0]!;
      const s = e.node('MatMul', [e.name(q!), kT], 1)[0]!; // [B, H, G*T, T]
      const s5 = e.node('Reshape', [s, e.ints([0, 0, G, T, T])], 1)[0]!; // [B, H, G, T, T]
      const masked = e.node('Add', [s5, e.name(mask!)], 1)[0]!;
      const p5 = e.node('Softmax', [masked], 1, { axis: -1 })[0]!;
      e.node('Reshape', [p5, e.ints([0, 0, GT, T])], [e.name(p!)]);
      e.node('MatMul', [e.name(p!), e.name(v!)], [e.name(o!)]);
    },
    vjp: ({ inputs: [q, k, v], outputs: [o, p] }, [gO, gP]) => {
      // NOTE: softmax backward needs rowsum(dP ⊙ P), which equals rowsum(dO ⊙ O) (FlashAttention's D):
      // a [.., G*T, HS] product instead of two passes over the [.., G*T, T] scores.
      const dv = gO ? g.matmul(g.transpose(p!), gO) : null; // [B, H, T, HS]
      let dP = gO ? g.matmul(gO, g.transpose(v!)) : null; // [B, H, G*T, T]
      let D = gO ? g.reduceSum(g.mul(gO, o!), -1, true) : null; // [B, H, G*T, 1]
      if (gP) {
        dP = dP ? g.add(dP, gP) : gP;
        const Dp = g.reduceSum(g.mul(gP, p!), -1, true);
        D = D ? g.add(D, Dp) : Dp;
      }
      if (!dP || !D) return [null, null, dv, null];
      const dS = g.mul(g.sub(dP, D), p!); // [B, H, G*T, T]; the temporary first, so ONNX Runtime can write in place
      const dq = g.matmul(dS, k!); // [B, H, G*T, HS]
      const dk = g.matmul(g.transpose(dS), q!); // [B, H, T, HS]
      return [dq, dk, dv ?? g.zerosLike(v!), null];
    },
  },
  softmaxCrossEntropy: {
    // outputs: [mean loss over non-ignored rows (scalar), log-probabilities [N, V]]
    infer: ([logits, t]) => {
      if (logits!.rank !== 2 || t!.rank !== 1 || t!.shape[0] !== logits!.shape[0] || (t!.dtype !== 'int64' && t!.dtype !== 'int32'))
        fail(`softmaxCrossEntropy: expected logits [N,V] and int targets [N], got ${fmtShape(logits!.shape)} and ${fmtShape(t!.shape)} ${t!.dtype}`);
      const dtype = floatOnly('softmaxCrossEntropy', logits!);
      return [{ shape: [], dtype }, { shape: logits!.shape, dtype }];
    },
    emit: direct('SoftmaxCrossEntropyLoss', ({ ignoreIndex }) => ({ ignore_index: ignoreIndex, reduction: 'mean' })),
    vjp: ({ inputs: [logits, t], outputs: [, logProb], attrs: { ignoreIndex } }, [gLoss, gLogProb]) => {
      const N = logits!.shape[0]!;
      const p = g.exp(logProb!); // [N, V] softmax
      const t2 = g.reshape(t!, [N, 1]); // [N, 1]
      let dx: Tensor | null = null;
      if (gLoss) {
        // NOTE: mean over non-ignored rows: ignored rows get zero gradient, the rest (p − onehot)/count.
        // The one-hot part touches one element per row, so it is a scatter of N values, not an [N, V] pass.
        const ignored = g.equal(t2, ignoreIndex); // [N, 1]
        const keep = g.where(ignored, 0, g.full(logits!.graph, [1, 1], 1, p.dtype)); // [N, 1]
        const scale = g.div(g.mul(keep, gLoss), g.reduceSum(keep)); // [N, 1]
        const safeT = g.where(ignored, 0, t2); // [N, 1], an in-range index for ignored rows (their scale is 0)
        dx = g.scatterElementsAdd(g.mul(p, scale), safeT, g.neg(scale), 1); // [N, V]
      }
      if (gLogProb) {
        const d = g.sub(gLogProb, g.mul(p, g.reduceSum(gLogProb, -1, true))); // log-softmax VJP
        dx = dx ? g.add(dx, d) : d;
      }
      return [dx, null];
    },
  },

  // ── frozen block-quantized weights (quantize/ packs them; no gradient reaches codes or scales) ──
  matMulNBits: {
    // inputs: x [..., K] float32, codes uint8 [N, ⌈K/bs⌉, bs·bits/8], scales float32 [N, ⌈K/bs⌉];
    // y = x @ W [..., N] with Wᵀ = dequantizeNBits(codes, scales), by ONNX Runtime's MatMulNBits kernel.
    infer: ([x, codes, scales], a) => {
      nbitsLayout('matMulNBits', codes!, scales!, a);
      if (x!.dtype !== 'float32' || x!.shape[x!.rank - 1] !== a.K)
        fail(`matMulNBits: expected float32 x [...,${a.K}], got ${fmtShape(x!.shape)} ${x!.dtype}`);
      return [{ shape: [...x!.shape.slice(0, -1), a.N], dtype: 'float32' }];
    },
    emit: direct('com.microsoft.MatMulNBits', (a) => ({ K: a.K, N: a.N, bits: a.bits, block_size: a.blockSize, accuracy_level: a.accuracyLevel })),
    // NOTE: dx = dy @ Wᵀ with Wᵀ dequantized from the same codes, so the gradient is exactly the
    // forward's transpose (no second, differently rounded copy). Codes and scales are frozen: null.
    vjp: ({ inputs: [, codes, scales], attrs: { K, N, bits, blockSize } }, [gy]) =>
      [g.matmul(gy!, g.dequantizeNBits(codes!, scales!, { K, N, bits, blockSize })), null, null],
  },
  dequantizeNBits: {
    // inputs: codes uint8 [N, nb, bs·bits/8], scales [N, nb] → Wᵀ [N, K] = (code − 2^(bits−1)) · scale,
    // codes packed low nibble first along K; a ragged last block is cut off at K.
    infer: ([codes, scales], a) => {
      nbitsLayout('dequantizeNBits', codes!, scales!, a);
      return [{ shape: [a.N, a.K], dtype: floatOnly('dequantizeNBits', scales!) }];
    },
    emit: (e, { inputs: [codes, scales], outputs: [w], attrs: { K, bits, blockSize } }) => {
      const to = onnxDType(scales!.dtype);
      const cast = (name: string, code: number): string => e.node('Cast', [name], 1, { to: code })[0]!;
      const unsqueeze = (name: string): string => e.node('Unsqueeze', [name, e.ints([-1])], 1)[0]!;
      let q = e.name(codes!); // [N, nb, blob] uint8
      if (bits === 4) {
        const lo = e.node('BitwiseAnd', [q, cast(e.ints([15]), onnxDType('uint8'))], 1)[0]!;
        const hi = e.node('BitShift', [q, cast(e.ints([4]), onnxDType('uint8'))], 1, { direction: 'RIGHT' })[0]!;
        const pairs = e.node('Concat', [unsqueeze(lo), unsqueeze(hi)], 1, { axis: -1 })[0]!; // [N, nb, blob, 2]
        q = e.node('Reshape', [pairs, e.ints([0, 0, -1])], 1)[0]!; // [N, nb, bs]
      }
      const centred = e.node('Sub', [cast(q, to), cast(e.ints([2 ** (bits - 1)]), to)], 1)[0]!; // [N, nb, bs]
      const scaled = e.node('Mul', [centred, unsqueeze(e.name(scales!))], 1)[0]!; // [N, nb, bs]
      const padded = Math.ceil(K / blockSize) * blockSize;
      if (padded === K) return void e.node('Reshape', [scaled, e.ints([0, -1])], [e.name(w!)]);
      const rows = e.node('Reshape', [scaled, e.ints([0, -1])], 1)[0]!; // [N, padded]
      e.node('Slice', [rows, e.ints([0]), e.ints([K]), e.ints([1])], [e.name(w!)]);
    },
    vjp: noGrad, // NOTE: a frozen base: nothing upstream of the codes or scales is trained.
  },
};
