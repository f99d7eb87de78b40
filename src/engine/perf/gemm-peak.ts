/**
 * The machine's practical fp32 matrix-multiply peak, as ONNX Runtime reaches it: the denominator of MFU.
 *
 * The probe is the three products of one linear layer's training step, Y = A@B, dA = dY@Bᵀ, dB = Aᵀ@dY,
 * with A [M,K], B [K,N], dY [M,N] (2048×512×2048 by default, the size ENGINE-NOTES measured), built
 * directly with onnx-proto so it depends on nothing else in the engine. The transposed products use Gemm's
 * transA/transB, so no transpose is materialised. Outputs land in preallocated tensors, as in training.
 */
import { availableParallelism } from 'node:os';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

// onnx-proto is CommonJS without named-export hints: Node's ESM loader only offers its default export.
const { onnx } = onnxProto;

export interface GemmPeakOptions {
  threads?: number; // intra-op threads; default: all available cores
  m?: number; // default 2048
  k?: number; // default 512
  n?: number; // default 2048
  warmup?: number; // untimed runs first; default 2
  runs?: number; // timed runs; default 5
}

/** What the probe measured. GFLOP/s count 2·M·K·N per product, three products per run. */
export interface GemmPeak {
  bestGflops: number;
  medianGflops: number;
  flopsPerRun: number;
  runSeconds: number[]; // in run order
  threads: number;
  shape: { m: number; k: number; n: number };
}

/** Measures ONNX Runtime's fp32 GEMM throughput in GFLOP/s on this machine. */
export async function measureGemmPeak(options: GemmPeakOptions = {}): Promise<GemmPeak> {
  const { threads = availableParallelism(), m = 2048, k = 512, n = 2048, warmup = 2, runs = 5 } = options;
  for (const [name, v] of Object.entries({ threads, m, k, n, runs })) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`measureGemmPeak: ${name} must be a positive integer, got ${v}`);
  }
  const session = await ort.InferenceSession.create(buildGemmProbeModel(m, k, n), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  try {
    const feeds = {
      A: new ort.Tensor('float32', randomFloats(m * k), [m, k]),
      B: new ort.Tensor('float32', randomFloats(k * n), [k, n]),
      dY: new ort.Tensor('float32', randomFloats(m * n), [m, n]),
    };
    const fetches = {
      Y: new ort.Tensor('float32', new Float32Array(m * n), [m, n]),
      dA: new ort.Tensor('float32', new Float32Array(m * k), [m, k]),
      dB: new ort.Tensor('float32', new Float32Array(k * n), [k, n]),
    };
    for (let i = 0; i < warmup; i++) await session.run(feeds, fetches);
    const runSeconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds, fetches);
      runSeconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const flopsPerRun = 3 * 2 * m * k * n;
    const sorted = [...runSeconds].sort((a, b) => a - b);
    return {
      bestGflops: flopsPerRun / sorted[0]! / 1e9,
      medianGflops: flopsPerRun / sorted[Math.floor(sorted.length / 2)]! / 1e9,
      flopsPerRun,
      runSeconds,
      threads,
      shape: { m, k, n },
    };
  } finally {
    await session.release();
  }
}

/** The probe graph as serialized ONNX (opset 18): inputs A [M,K], B [K,N], dY [M,N]; outputs Y, dA, dB. */
export function buildGemmProbeModel(m: number, k: number, n: number): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const tensor = (name: string, dims: number[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const flag = (name: string) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: 1 });
  const graph = onnx.GraphProto.create({
    name: 'gemm_peak',
    node: [
      onnx.NodeProto.create({ opType: 'MatMul', input: ['A', 'B'], output: ['Y'], name: 'forward' }), // [M,K]@[K,N] → [M,N]
      onnx.NodeProto.create({ opType: 'Gemm', input: ['dY', 'B'], output: ['dA'], name: 'grad_a', attribute: [flag('transB')] }), // [M,N]@[N,K] → [M,K]
      onnx.NodeProto.create({ opType: 'Gemm', input: ['A', 'dY'], output: ['dB'], name: 'grad_b', attribute: [flag('transA')] }), // [K,M]@[M,N] → [K,N]
    ],
    input: [tensor('A', [m, k]), tensor('B', [k, n]), tensor('dY', [m, n])],
    output: [tensor('Y', [m, n]), tensor('dA', [m, k]), tensor('dB', [k, n])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'crucible-gemm-peak',
    opsetImport: [{ domain: '', version: 18 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Inputs in [-1, 1): values do not change MatMul speed, but NaN/denormal garbage could. */
function randomFloats(count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.random() * 2 - 1;
  return out;
}
