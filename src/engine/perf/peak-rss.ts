/**
 * Peak resident memory of this process, for benchmarks that compare it with an estimate.
 *
 * Two sources: Linux's VmHWM ("high water mark" in /proc/self/status), exact but process-lifetime unless
 * reset (writing "5" to /proc/self/clear_refs resets it, Linux ≥ 4.0), and periodic samples of
 * process.memoryUsage.rss(), portable but blind to spikes between samples or while the event loop is
 * blocked. A tracker resets VmHWM when it starts and reports the larger of the two.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Peak RSS of this process in bytes from /proc/self/status (VmHWM), or undefined where unavailable. */
export function readVmHwm(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS; returns false where the kernel does not allow it. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Tracks the peak RSS from `start()` on. */
export class PeakRssTracker {
  private sampledPeak = 0;
  private timer: NodeJS.Timeout | undefined;
  private hwmValid = false;

  /** Starts tracking: resets VmHWM if possible and samples RSS every `intervalMs`. */
  start(intervalMs = 50): this {
    this.hwmValid = resetPeakRss() && readVmHwm() !== undefined;
    this.sampledPeak = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref(); // never keeps the process alive
    return this;
  }

  /** Takes one sample now (call it after a step, when the event loop may have been blocked). */
  sample(): number {
    const rss = process.memoryUsage.rss();
    if (rss > this.sampledPeak) this.sampledPeak = rss;
    return rss;
  }

  /** The peak so far, in bytes: VmHWM since start() where it could be reset, else the sampled maximum. */
  get peakBytes(): number {
    this.sample();
    const hwm = this.hwmValid ? readVmHwm() : undefined;
    return Math.max(this.sampledPeak, hwm ?? 0);
  }

  /** Whether the peak comes from the kernel's exact high-water mark rather than samples alone. */
  get exact(): boolean {
    return this.hwmValid;
  }

  /** Stops sampling and returns the peak in bytes. */
  stop(): number {
    const peak = this.peakBytes;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    return peak;
  }
}
