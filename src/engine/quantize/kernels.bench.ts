/**
 * Which ONNX Runtime kernel should run a weight-only quantized linear layer? Times y = x @ W, W [K, N]
 * held as an initializer, for fp32 MatMul and the quantized alternatives, at decode (M = 1..32 rows) and
 * prefill (M = 512) sizes. Prints best-of times and each kernel's speed relative to fp32 in the same run.
 *
 *   node --import tsx src/engine/quantize/kernels.bench.ts [threads] [variant,…] [rounds]
 *
 * The models are written as raw ONNX protos on purpose: this measures the kernels, not our emitter.
 */
import * as ort from 'onnxruntime-node';
import protobuf, { type onnx as proto } from 'onnx-proto';

const { onnx } = protobuf;
const T = onnx.TensorProto.DataType;
const INT4 = 22; // TensorProto.INT4 (onnx-proto's enum predates it): two values per byte, low nibble first
const A = onnx.AttributeProto.AttributeType;
const int = (name: string, i: number): proto.IAttributeProto => ({ name, type: A.INT, i });

function tensor(name: string, dims: number[], dataType: number, bytes: ArrayBufferView): proto.ITensorProto {
  return { name, dims, dataType, rawData: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice() };
}

function model(nodes: proto.INodeProto[], inits: proto.ITensorProto[], K: number, N: number): Uint8Array {
  const vi = (name: string, dims: (number | string)[]): proto.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: T.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 11,
    opsetImport: [{ domain: '', version: 23 }, { domain: 'com.microsoft', version: 1 }],
    graph: { name: 'bench', node: nodes, initializer: inits, input: [vi('x', ['M', K])], output: [vi('y', ['M', N])] },
  }).finish();
}

type Variant = { name: string; build: (K: number, N: number, w: Float32Array) => Uint8Array; opt?: 'basic' | 'all' };

const rand = (n: number, seed: number): Float32Array => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.1);
};

/** MatMulNBits B [N, K/bs, bs·bits/8], codes = round(w/scale) + zero point 2^(bits−1), packed low-first along K. */
function nbits(K: number, N: number, w: Float32Array, bits: 4 | 8, bs: number, accuracy: number): Uint8Array {
  const nb = Math.ceil(K / bs); // a ragged last block is padded with zeros
  const blob = (bs * bits) / 8;
  const b = new Uint8Array(N * nb * blob);
  const scales = new Float32Array(N * nb);
  const qmax = 2 ** (bits - 1) - 1;
  for (let n = 0; n < N; n++)
    for (let j = 0; j < nb; j++) {
      let amax = 0;
      const at0 = (i: number): number => (j * bs + i < K ? w[(j * bs + i) * N + n]! : 0);
      for (let i = 0; i < bs; i++) amax = Math.max(amax, Math.abs(at0(i)));
      const scale = amax / qmax || 1;
      scales[n * nb + j] = scale;
      for (let i = 0; i < bs; i++) {
        const q = Math.max(-qmax - 1, Math.min(qmax, Math.round(at0(i) / scale))) + 2 ** (bits - 1);
        const at = (n * nb + j) * blob;
        if (bits === 8) b[at + i] = q;
        else b[at + (i >> 1)]! |= q << ((i & 1) * 4);
      }
    }
  const attrs = [int('K', K), int('N', N), int('bits', bits), int('block_size', bs), int('accuracy_level', accuracy)];
  return model(
    [{ opType: 'MatMulNBits', domain: 'com.microsoft', input: ['x', 'b', 's'], output: ['y'], attribute: attrs }],
    [tensor('b', [N, nb, blob], T.UINT8, b), tensor('s', [N * nb], T.FLOAT, scales)],
    K,
    N,
  );
}

/** DequantizeLinear (opset 21+, blocked along K) of an int4/int8 [K, N] initializer, then MatMul. */
function dqMatMul(K: number, N: number, w: Float32Array, bits: 4 | 8, bs: number): Uint8Array {
  const qmax = 2 ** (bits - 1) - 1;
  const nb = Math.ceil(K / bs);
  const scales = new Float32Array(nb * N);
  for (let j = 0; j < nb; j++)
    for (let n = 0; n < N; n++) {
      let amax = 0;
      for (let i = 0; i < bs && j * bs + i < K; i++) amax = Math.max(amax, Math.abs(w[(j * bs + i) * N + n]!));
      scales[j * N + n] = amax / qmax || 1;
    }
  const q = new Int8Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) q[k * N + n] = Math.max(-qmax - 1, Math.min(qmax, Math.round(w[k * N + n]! / scales[Math.floor(k / bs) * N + n]!)));
  let data: ArrayBufferView = q;
  if (bits === 4) {
    const p = new Uint8Array(K * N / 2);
    for (let i = 0; i < K * N; i++) p[i >> 1]! |= (q[i]! & 0xf) << ((i & 1) * 4);
    data = p;
  }
  return model(
    [
      { opType: 'DequantizeLinear', input: ['q', 's'], output: ['w'], attribute: [int('axis', 0), int('block_size', bs)] },
      { opType: 'MatMul', input: ['x', 'w'], output: ['y'] },
    ],
    [tensor('q', [K, N], bits === 4 ? INT4 : T.INT8, data), tensor('s', [nb, N], T.FLOAT, scales)],
    K,
    N,
  );
}

/**
 * DynamicQuantizeMatMul: x quantized to uint8 per run, W per output channel, as int8 in ±qmax or as
 * uint8 with zero point 128. (AVX2 multiplies u8·s8 pairs into saturating int16: ±127 overflows there.)
 */
function dynamicQ(K: number, N: number, w: Float32Array, signed: boolean, qmax: number): Uint8Array {
  const scales = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let amax = 0;
    for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(w[k * N + n]!));
    scales[n] = amax / qmax || 1;
  }
  const q = Int8Array.from(w, (v, i) => Math.max(-qmax, Math.min(qmax, Math.round(v / scales[i % N]!))));
  const data = signed ? q : Uint8Array.from(q, (v) => v + 128);
  const zp = signed ? new Int8Array(N) : new Uint8Array(N).fill(128);
  const type = signed ? T.INT8 : T.UINT8;
  return model(
    [{ opType: 'DynamicQuantizeMatMul', domain: 'com.microsoft', input: ['x', 'q', 's', 'zp'], output: ['y'] }],
    [tensor('q', [K, N], type, data), tensor('s', [N], T.FLOAT, scales), tensor('zp', [N], type, zp)],
    K,
    N,
  );
}

const fp32 = (K: number, N: number, w: Float32Array): Uint8Array =>
  model([{ opType: 'MatMul', input: ['x', 'w'], output: ['y'] }], [tensor('w', [K, N], T.FLOAT, w)], K, N);

const VARIANTS: Variant[] = [
  { name: 'fp32 MatMul', build: fp32 },
  { name: 'NBits b4 acc0', build: (K, N, w) => nbits(K, N, w, 4, 32, 0) },
  { name: 'NBits b4 acc4', build: (K, N, w) => nbits(K, N, w, 4, 32, 4) },
  { name: 'NBits b8 acc0', build: (K, N, w) => nbits(K, N, w, 8, 32, 0) },
  { name: 'NBits b8 acc4', build: (K, N, w) => nbits(K, N, w, 8, 32, 4) },
  { name: 'DQ int4+MatMul', build: (K, N, w) => dqMatMul(K, N, w, 4, 32) },
  { name: 'DQ int8+MatMul', build: (K, N, w) => dqMatMul(K, N, w, 8, 32) },
  { name: 'DynQ s8 ±127', build: (K, N, w) => dynamicQ(K, N, w, true, 127) },
  { name: 'DynQ s8 ±63', build: (K, N, w) => dynamicQ(K, N, w, true, 63) },
  { name: 'DynQ u8 zp128', build: (K, N, w) => dynamicQ(K, N, w, false, 127) },
];

/** Best-of per-run ms for every session, in rounds that alternate between them (load noise hits all alike). */
async function timeAll(sessions: (ort.InferenceSession | null)[], x: ort.Tensor, out: ort.Tensor, rounds: number, reps: number): Promise<number[]> {
  const best = sessions.map(() => Infinity);
  for (let r = 0; r < rounds; r++)
    for (const [i, s] of sessions.entries()) {
      if (!s) continue;
      if (r === 0) await s.run({ x }, { y: out }); // warm-up
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) await s.run({ x }, { y: out });
      best[i] = Math.min(best[i]!, (performance.now() - t0) / reps);
    }
  return best;
}

/** max |y − y_fp32| / max |y_fp32| for every session. */
async function relErrors(sessions: (ort.InferenceSession | null)[], x: ort.Tensor): Promise<number[]> {
  const ys: (Float32Array | null)[] = [];
  for (const s of sessions) ys.push(s ? ((await s.run({ x })).y!.data as Float32Array) : null);
  const ref = ys[0]!;
  const mag = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return ys.map((y) => (y ? y.reduce((m, v, j) => Math.max(m, Math.abs(v - ref[j]!)), 0) / mag : NaN));
}

async function main(): Promise<void> {
  const threads = Number(process.argv[2] ?? 2);
  const only = process.argv[3] ? process.argv[3].split(',') : undefined; // default: every variant
  const rounds = Number(process.argv[4] ?? 5);
  const shapes: [number, number][] = [[256, 256], [256, 688], [688, 256], [1024, 1024], [256, 8192]];
  const rows = [1, 8, 32, 512];
  console.log(`threads ${threads}; best of ${rounds} rounds, ms per run (× = fp32 time / this time, > 1 is faster); err = max|Δy| / max|y| vs fp32`);
  const variants = VARIANTS.filter((v, i) => i === 0 || !only || only.some((o) => v.name.includes(o)));
  for (const [K, N] of shapes) {
    const w = rand(K * N, K * 31 + N);
    const sessions: (ort.InferenceSession | null)[] = [];
    for (const v of variants) {
      try {
        sessions.push(await ort.InferenceSession.create(v.build(K, N, w), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: v.opt ?? 'all' }));
      } catch (e) {
        console.log(`  ${v.name} failed to load at K=${K} N=${N}: ${(e as Error).message.split('\n')[0]}`);
        sessions.push(null);
      }
    }
    for (const M of rows) {
      const x = new ort.Tensor('float32', rand(M * K, M), [M, K]);
      const out = new ort.Tensor('float32', new Float32Array(M * N), [M, N]);
      const errs = await relErrors(sessions, x);
      const ms = await timeAll(sessions, x, out, rounds, M >= 512 ? 3 : 20);
      const cells = variants.map((v, i) => `${v.name} ${ms[i]!.toFixed(3)} (${(ms[0]! / ms[i]!).toFixed(2)}×${i ? `, err ${errs[i]!.toExponential(1)}` : ''})`);
      console.log(`K=${K} N=${N} M=${M}: ${cells.join(' | ')}`);
    }
  }
}

await main();
