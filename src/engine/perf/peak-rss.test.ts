import { describe, expect, it } from 'vitest';
import { PeakRssTracker, readVmHwm, resetPeakRss } from './peak-rss.js';

const MiB = 2 ** 20;

describe('peak RSS', () => {
  it('reads VmHWM on Linux', () => {
    const hwm = readVmHwm();
    if (process.platform !== 'linux') return expect(hwm).toBeUndefined();
    expect(hwm).toBeGreaterThanOrEqual(process.memoryUsage.rss() * 0.5);
  });

  it('sees a 96 MiB allocation that is gone before it looks', () => {
    const tracker = new PeakRssTracker().start(1000);
    const before = process.memoryUsage.rss();
    (() => {
      const block = new Uint8Array(96 * MiB).fill(1); // touched, so resident
      expect(block[block.length - 1]).toBe(1);
    })();
    const peak = tracker.stop();
    if (tracker.exact) {
      // VmHWM caught the spike even though no sample ran while the block was alive.
      expect(peak - before).toBeGreaterThan(80 * MiB);
    }
    console.log(`peak ${(peak / MiB).toFixed(0)} MiB (start ${(before / MiB).toFixed(0)} MiB, exact: ${tracker.exact}, reset: ${resetPeakRss()})`);
  });
});
