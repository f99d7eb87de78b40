// npm run bench:datasets — a 1 GB JSONL (generated once under the temp dir) ingested end to end:
// hash, sniff, parse + validate every record, DuckDB's Parquet conversion, profile, blobs and the
// version row; MB/s, peak RSS, and DuckDB's own read_json + count(*) over the same file in the same
// run (a lower bound on the I/O and parse cost) as the yardstick.
// BENCH_DATASETS_MB=64 for a quick run; BENCH_VALIDATOR_THREADS=1 validates on the main thread.
// The machine's load average is printed with the result: on a shared box it moves the figures a lot.
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createAppContext } from '../src/app/context.js';
import { openDuck, sqlString } from '../src/datasets/duck.js';
import { benchRecords } from '../src/datasets/testing/measure-validation-throughput.js';
import { PeakRssTracker } from '../src/engine/perf/peak-rss.js';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';

const TARGET_MB = Number(process.env.BENCH_DATASETS_MB ?? 1024);
/** 2 (default): the validator on two worker threads; 1: on the main thread. */
const THREADS = process.env.BENCH_VALIDATOR_THREADS === '1' ? 1 : 2;
const DIR = path.join(tmpdir(), 'crucible-bench-datasets');
const FILE = path.join(DIR, `corpus-${TARGET_MB}mb.jsonl`);

/** Documents of 6–14 sentences (~1 KB), ~3% with PII, ~3% look-alikes, ~2% repeats; chunks differ by seed. */
async function generate(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const tmp = `${FILE}.tmp`;
  const out = createWriteStream(tmp);
  let bytes = 0;
  let id = 0;
  for (let seed = 1; bytes < TARGET_MB * 1e6; seed++) {
    const lines = benchRecords(5_000, seed, [6, 14]).map((r) => JSON.stringify({ id: id++, text: r.text, source: `shard-${seed % 8}` }));
    const chunk = lines.join('\n') + '\n';
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const { renameSync } = await import('node:fs');
  renameSync(tmp, FILE);
}

async function duckdbCount(): Promise<{ seconds: number; rows: number }> {
  const duck = await openDuck();
  try {
    const t0 = performance.now();
    const result = await duck.connection.runAndReadAll(`SELECT count(*) AS n FROM read_json(${sqlString(FILE)}, format='newline_delimited')`);
    return { seconds: (performance.now() - t0) / 1000, rows: Number(result.getRowObjectsJS()[0]!.n) };
  } finally {
    duck.close();
  }
}

async function main(): Promise<void> {
  if (!existsSync(FILE)) {
    const t0 = performance.now();
    console.log(`generating ${FILE} (${TARGET_MB} MB) …`);
    await generate();
    console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const mb = statSync(FILE).size / 1e6;
  console.log(`input: ${FILE}, ${mb.toFixed(0)} MB`);

  const home = mkdtempSync(path.join(tmpdir(), 'crucible-bench-ds-home-'));
  const config = loadConfig({ env: {}, cwd: home, overrides: { home, log: { level: 'warn' } } });
  const ctx = await createAppContext(config, { logger: createLogger(config) });
  console.log(`RSS before the ingest: ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`);
  const tracker = new PeakRssTracker().start(100);
  const phases: Record<string, number> = {};
  let phase = '';
  let phaseStart = performance.now();
  const loadBefore = loadavg()[0]!;
  // process.cpuUsage() is the whole process: this thread, the validator threads and DuckDB's.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const result = await ctx.datasets.ingest(
      { name: 'bench', source: { file: FILE, label: path.basename(FILE) }, options: { textField: 'text', skipBadLines: false, validation: {} }, createdBy: null },
      {
        validatorThreads: THREADS,
        onProgress: (p) => {
          if (p.phase === phase) return;
          console.log(`  ${p.phase}: RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`);
          if (phase) phases[phase] = (phases[phase] ?? 0) + (performance.now() - phaseStart) / 1000;
          phase = p.phase;
          phaseStart = performance.now();
        },
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const cpuSPerGb = cpuSeconds / (mb / 1000);
    const loadAfter = loadavg()[0]!;
    phases[phase] = (phases[phase] ?? 0) + (performance.now() - phaseStart) / 1000;
    const peakMb = tracker.stop() / 2 ** 20;
    // After the ingest, so that memory DuckDB's allocator keeps from it cannot count against the ingest.
    const duck = await duckdbCount();
    console.log(`duckdb read_json + count(*): ${duck.rows} rows in ${duck.seconds.toFixed(1)} s = ${(mb / duck.seconds).toFixed(0)} MB/s`);
    const mbPerS = mb / seconds;
    const v = result.version;
    console.log(`ingest: ${v.ref}, ${v.records} records, Parquet ${(v.parquet_size / 1e6).toFixed(0)} MB, ${v.findings.length} finding kinds (${v.findings.map((f) => `${f.rule} ${f.count}`).join(', ')})`);
    console.log(`phases (s): ${Object.entries(phases).map(([k, s]) => `${k} ${s.toFixed(1)}`).join(', ')}`);
    const cores = cpus().length;
    console.log(`end to end: ${seconds.toFixed(1)} s = ${mbPerS.toFixed(1)} MB/s (target ≥ 25), peak RSS ${peakMb.toFixed(0)} MB (target < 400), load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} on ${cores} cores; duckdb count alone ${(mb / duck.seconds).toFixed(0)} MB/s`);
    // CPU per GB moves much less with the machine's load than wall time: on an idle box with
    // `cores` cores, wall MB/s would be at best 1000 · cores / cpu_s_per_gb.
    console.log(`cpu: ${cpuSeconds.toFixed(1)} s (user ${(cpu.user / 1e6).toFixed(1)}, sys ${(cpu.system / 1e6).toFixed(1)}) = ${cpuSPerGb.toFixed(0)} cpu-s/GB, ${(cpuSeconds / seconds).toFixed(2)} cores busy on average; idle-box bound ${((1000 * cores) / cpuSPerGb).toFixed(1)} MB/s on ${cores} cores`);
    console.log(
      `BENCH ${JSON.stringify({ name: 'datasets', mb_per_s: Number(mbPerS.toFixed(2)), peak_rss_mb: Math.round(peakMb), ratio_vs_duckdb: Number((duck.seconds / seconds).toFixed(3)), input_mb: Math.round(mb), validator_threads: THREADS, cpu_s_per_gb: Math.round(cpuSPerGb), cpu_s: Number(cpuSeconds.toFixed(1)), load_avg_1m: Number(loadAfter.toFixed(1)), load_avg_1m_before: Number(loadBefore.toFixed(1)), records: v.records, seconds: Number(seconds.toFixed(1)), duckdb_seconds: Number(duck.seconds.toFixed(1)) })}`,
    );
  } finally {
    await ctx.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
