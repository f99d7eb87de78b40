// npm run bench:datasets — a 1 GB JSONL (generated once under the temp dir) ingested end to end the
// way a server ingests it: a `dataset.ingest` job run by the worker's own child-process runner
// (src/worker/child-job.ts → runner.ts → src/datasets/handlers.ts, with the heap limit the service
// asks for): hash, sniff, parse + validate every record, DuckDB's Parquet conversion, profile,
// blobs and the version row. What is counted is that child process alone, as it runs in
// production: its wall time, its CPU (every thread: main, validator threads, DuckDB) and its peak
// RSS (the kernel's VmHWM, which includes node + tsx + the handler's imports). The bench's own
// process (app context, queue, db reads afterwards) is not part of the job and is not counted.
// DuckDB's own read_json + count(*) over the same file in the same run (a lower bound on the I/O
// and parse cost) is the yardstick. BENCH_DATASETS_MB=256 for a quick run. The machine's load
// average is printed with the result: on a shared box it moves wall time a lot (CPU s/GB and RSS
// much less).
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createAppContext } from '../src/app/context.js';
import { SYSTEM_ACTOR } from '../src/auth/index.js';
import { DATASET_INGEST, INGEST_RESOURCES } from '../src/datasets/index.js';
import { openDuck, sqlString } from '../src/datasets/duck.js';
import { benchRecords } from '../src/datasets/testing/measure-validation-throughput.js';
import { ENV_VARS, loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';
import { ChildJob } from '../src/worker/child-job.js';
import { BUILTIN_HANDLERS } from '../src/worker/handler-registry.js';

const TARGET_MB = Number(process.env.BENCH_DATASETS_MB ?? 1024);
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

/** VmRSS and VmHWM (the peak since the process started) of a live process, in MB. */
function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined; // exited
  }
}

/**
 * CPU seconds of this process's children that have ended (cutime + cstime of /proc/self/stat,
 * in USER_HZ = 100 ticks per second on Linux): the job's child, once it has exited.
 */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
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

  // The job's child reads its configuration from the environment, as a worker's children do: the
  // same temp home and config file for both sides, and no CRUCIBLE_* variable of the caller's.
  const home = mkdtempSync(path.join(tmpdir(), 'crucible-bench-ds-home-'));
  const configFile = path.join(home, 'crucible.yaml');
  writeFileSync(configFile, 'log:\n  level: warn\n');
  const env: Record<string, string> = { ...Object.fromEntries(Object.keys(ENV_VARS).map((name) => [name, ''])), CRUCIBLE_HOME: home, CRUCIBLE_CONFIG: configFile };
  const config = loadConfig({ env, cwd: home });
  const ctx = await createAppContext(config, { logger: createLogger(config) });
  try {
    const phases: Record<string, number> = {};
    let phase = '';
    let phaseStart = performance.now();
    let child: ChildJob | undefined;
    let peakMb = 0;
    const sample = () => {
      const m = child?.pid === undefined ? undefined : memoryOf(child.pid);
      if (m) peakMb = Math.max(peakMb, m.hwm, m.rss);
      return m;
    };
    const loadBefore = loadavg()[0]!;
    const cpu0 = childrenCpuSeconds();
    const t0 = performance.now();
    const timer = setInterval(sample, 20);
    child = new ChildJob({
      modulePath: BUILTIN_HANDLERS[DATASET_INGEST]!,
      jobId: 'bench',
      jobType: DATASET_INGEST,
      payload: { name: 'bench', path: FILE, filename: path.basename(FILE), text_field: 'text', skip_bad_lines: false, validation: {}, created_by: null },
      attempt: 1,
      workDir: path.join(home, 'work', 'bench'),
      memoryMb: INGEST_RESOURCES.memoryMb,
      env,
      onEvent: (event) => {
        const m = sample();
        if (event.kind === 'log' && event.stream) console.log(`  child ${event.stream}: ${event.message}`);
        if (event.kind !== 'progress' || event.message === undefined || event.message === phase) return;
        console.log(`  ${event.message}: child RSS ${m?.rss.toFixed(0) ?? '?'} MB (peak so far ${m?.hwm.toFixed(0) ?? '?'} MB)`);
        if (phase) phases[phase] = (phases[phase] ?? 0) + (performance.now() - phaseStart) / 1000;
        phase = event.message;
        phaseStart = performance.now();
      },
    });
    const outcome = await child.outcome;
    clearInterval(timer);
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = childrenCpuSeconds() - cpu0;
    const loadAfter = loadavg()[0]!;
    if (outcome.kind !== 'done') throw new Error(`the ingest job ended ${outcome.kind}: ${JSON.stringify(outcome)}`);
    phases[phase] = (phases[phase] ?? 0) + (performance.now() - phaseStart) / 1000;
    const cpuSPerGb = cpuSeconds / (mb / 1000);
    const duck = await duckdbCount();
    console.log(`duckdb read_json + count(*): ${duck.rows} rows in ${duck.seconds.toFixed(1)} s = ${(mb / duck.seconds).toFixed(0)} MB/s`);
    const mbPerS = mb / seconds;
    const v = await ctx.datasets.get(SYSTEM_ACTOR, 'bench');
    const report = await ctx.datasets.report(SYSTEM_ACTOR, 'bench');
    console.log(`ingest: ${v.ref}, ${v.records} records, Parquet ${(v.parquet_size / 1e6).toFixed(0)} MB, ${report.findings.length} finding kinds (${report.findings.map((f) => `${f.rule} ${f.count}`).join(', ')})`);
    console.log(`phases (s): ${Object.entries(phases).map(([k, s]) => `${k} ${s.toFixed(1)}`).join(', ')}`);
    const cores = cpus().length;
    console.log(`end to end: ${seconds.toFixed(1)} s = ${mbPerS.toFixed(1)} MB/s (target ≥ 25), peak RSS of the job's process ${peakMb.toFixed(0)} MB (target < 400), load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} on ${cores} cores; duckdb count alone ${(mb / duck.seconds).toFixed(0)} MB/s`);
    // CPU per GB moves much less with the machine's load than wall time: on an idle box with
    // `cores` cores, wall MB/s would be at best 1000 · cores / cpu_s_per_gb.
    console.log(`cpu: ${cpuSeconds.toFixed(1)} s = ${cpuSPerGb.toFixed(0)} cpu-s/GB, ${(cpuSeconds / seconds).toFixed(2)} cores busy on average; idle-box bound ${((1000 * cores) / cpuSPerGb).toFixed(1)} MB/s on ${cores} cores`);
    console.log(
      `BENCH ${JSON.stringify({ name: 'datasets', mb_per_s: Number(mbPerS.toFixed(2)), peak_rss_mb: Math.round(peakMb), ratio_vs_duckdb: Number((duck.seconds / seconds).toFixed(3)), input_mb: Math.round(mb), cpu_s_per_gb: Math.round(cpuSPerGb), cpu_s: Number(cpuSeconds.toFixed(1)), load_avg_1m: Number(loadAfter.toFixed(1)), load_avg_1m_before: Number(loadBefore.toFixed(1)), records: v.records, seconds: Number(seconds.toFixed(1)), duckdb_seconds: Number(duck.seconds.toFixed(1)) })}`,
    );
  } finally {
    await ctx.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
