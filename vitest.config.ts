import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Native addons (better-sqlite3, onnxruntime-node) are happiest in forked processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2 cores: more parallel files only fight over CPU (ONNX Runtime uses both cores itself).
    maxWorkers: 2,
  },
});
