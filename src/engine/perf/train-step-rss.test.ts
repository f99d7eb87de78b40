import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TrainStepRss } from './train-step-rss.js';

const script = fileURLToPath(new URL('./train-step-rss.ts', import.meta.url));

/** Runs the measurement in a fresh process (nothing of the test runner is counted). */
function measure(preset: string, B: number, T: number): TrainStepRss {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, preset, String(B), String(T)], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`train-step-rss ${preset} ${B} ${T} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TrainStepRss;
}

describe('estimateTrainingMemory against a real train step', () => {
  it.each([
    ['tiny', 4, 128],
    ['nano', 8, 64],
  ] as const)('%s at B=%i, T=%i: peak RSS within ±25 percent of the estimate', (preset, B, T) => {
    const m = measure(preset, B, T);
    const mb = (x: number): string => (x / 2 ** 20).toFixed(0);
    console.log(`${preset} B=${B} T=${T}: peak RSS ${mb(m.peakRssBytes)} MB vs estimate ${mb(m.estimateBytes)} MB = ${m.ratio.toFixed(2)}× (tol 0.75–1.25)`);
    expect(m.ratio).toBeGreaterThanOrEqual(0.75);
    expect(m.ratio).toBeLessThanOrEqual(1.25);
  }, 180_000);
});
