/** Measuring the machine: GEMM peak (the denominator of MFU) and peak resident memory. */
export { buildGemmProbeModel, measureGemmPeak, type GemmPeak, type GemmPeakOptions } from './gemm-peak.js';
export { PeakRssTracker, readVmHwm, resetPeakRss } from './peak-rss.js';
