import { describe, expect, it } from 'vitest';
import { detectResources, gpuSlots, parseGpuCsv } from './resources.js';

describe('resources', () => {
  it('counts the GPUs nvidia-smi lists', () => {
    const csv = '0, NVIDIA H100 80GB HBM3, 81559 MiB\n1, NVIDIA H100 80GB HBM3, 81559 MiB\n';
    expect(parseGpuCsv(csv)).toEqual([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', memory: '81559 MiB' },
      { index: 1, name: 'NVIDIA H100 80GB HBM3', memory: '81559 MiB' },
    ]);
    expect(parseGpuCsv('No devices were found\n')).toEqual([]);
  });

  it('detects cores and memory, and takes overrides', async () => {
    const detected = await detectResources({ gpus: 0 });
    expect(detected.cpu).toBeGreaterThanOrEqual(1);
    expect(detected.memoryMb).toBeGreaterThan(100);
    expect(await detectResources({ cpu: 0.5, memoryMb: 512, gpus: 2 })).toEqual({ cpu: 0.5, memoryMb: 512, gpus: 2 });
  });
});

describe('gpuSlots', () => {
  it('numbers the GPUs, or takes the ids the worker was given', () => {
    expect(gpuSlots(2, undefined)).toEqual(['0', '1']);
    expect(gpuSlots(2, '3, 5')).toEqual(['3', '5']);
    expect(gpuSlots(0, '3')).toEqual([]);
  });
});
