import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildGemmProbeModel, measureGemmPeak } from './gemm-peak.js';

describe('gemm peak probe', () => {
  it('computes Y = A@B, dA = dY@Bᵀ, dB = Aᵀ@dY', async () => {
    const session = await ort.InferenceSession.create(buildGemmProbeModel(2, 3, 2));
    const A = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2,3]
    const B = Float32Array.from([1, 0, 0, 1, 1, 1]); // [3,2]
    const dY = Float32Array.from([1, 2, 3, 4]); // [2,2]
    const out = await session.run({
      A: new ort.Tensor('float32', A, [2, 3]),
      B: new ort.Tensor('float32', B, [3, 2]),
      dY: new ort.Tensor('float32', dY, [2, 2]),
    });
    expect(Array.from(out.Y!.data as Float32Array)).toEqual([4, 5, 10, 11]);
    expect(Array.from(out.dA!.data as Float32Array)).toEqual([1, 2, 3, 3, 4, 7]); // dY @ Bᵀ
    expect(Array.from(out.dB!.data as Float32Array)).toEqual([13, 18, 17, 24, 21, 30]); // Aᵀ @ dY
    await session.release();
  });

  it('reports GFLOP/s for a small shape', async () => {
    const peak = await measureGemmPeak({ threads: 1, m: 256, k: 128, n: 256, warmup: 1, runs: 3 });
    expect(peak.flopsPerRun).toBe(3 * 2 * 256 * 128 * 256);
    expect(peak.runSeconds).toHaveLength(3);
    expect(peak.bestGflops).toBeGreaterThanOrEqual(peak.medianGflops);
    expect(peak.medianGflops).toBeGreaterThan(0.5);
    console.log(`gemm 256×128×256, 1 thread: best ${peak.bestGflops.toFixed(1)} GFLOP/s, median ${peak.medianGflops.toFixed(1)}`);
    await expect(measureGemmPeak({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
});
