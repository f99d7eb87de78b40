import { execFile } from 'node:child_process';
import os from 'node:os';
import type { Resources } from '../platform/queue/index.js';

/** Counts GPUs with `nvidia-smi`; 0 where it is missing or fails (no driver, no device). */
export function detectGpus(run: typeof execFile = execFile): Promise<number> {
  return new Promise((resolve) => {
    run('nvidia-smi', ['--query-gpu=index,name,memory.total', '--format=csv,noheader'], { timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve(0);
      resolve(parseGpuCsv(String(stdout)).length);
    });
  });
}

/** One entry per GPU line of `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader`. */
export function parseGpuCsv(csv: string): { index: number; name: string; memory: string }[] {
  return csv
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+\s*,/.test(line))
    .map((line) => {
      const [index, name, memory] = line.split(',').map((field) => field.trim());
      return { index: Number(index), name: name ?? '', memory: memory ?? '' };
    });
}

/** What this machine offers to jobs: all cores, total memory and its GPUs, each overridable. */
export async function detectResources(overrides: Partial<Resources> = {}): Promise<Resources> {
  return {
    cpu: overrides.cpu ?? os.availableParallelism(),
    memoryMb: overrides.memoryMb ?? Math.floor(os.totalmem() / (1024 * 1024)),
    gpus: overrides.gpus ?? (await detectGpus()),
  };
}

/**
 * The GPU ids a worker hands out, one job per GPU: the entries of CUDA_VISIBLE_DEVICES when the
 * worker itself was given a subset, else 0..count-1.
 */
export function gpuSlots(count: number, visibleDevices: string | undefined): string[] {
  const visible = (visibleDevices ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
  return Array.from({ length: count }, (_, i) => visible[i] ?? String(i));
}
