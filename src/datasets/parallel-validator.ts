/**
 * The validator on two worker threads: the duplicate rules (dup.exact, dup.near: the largest
 * per-record cost and all the state) on one, every other rule on the other, so that validation
 * uses two cores. Records go over in batches, or, for JSONL, as chunks of raw lines in a ring of
 * shared memory (line-ring.ts) that each thread parses in place (two JSON.parse calls cost less
 * than one parse on the main thread plus two structured-clone copies of every record, and keep
 * the main heap small). At most a few messages per worker are in flight, which bounds memory. The
 * findings are merged and sorted exactly as one Validator sorts them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseValidationConfig, sortFindings, Validator, type DatasetRecord, type ValidationConfig, type ValidationResult } from './validation/index.js';
import { LineRing, type RingChunk, type SlotLender } from './line-ring.js';
import type { FromValidator, ToValidator, ValidatorWorkerData } from './validator-worker.js';

// Sources run through tsx, and a worker thread does not inherit its loader. Registering tsx in
// each thread costs it a loader thread of its own (~14 MB resident) and a compile of every module
// on import; so the worker module is bundled once, by tsx's own esbuild, into one plain script.
// Where that fails, the thread registers tsx's ESM hooks itself, then imports the worker module.
const TSX_PACKAGE = createRequire(import.meta.url).resolve('tsx/package.json');
const TSX_API = pathToFileURL(path.join(path.dirname(TSX_PACKAGE), 'dist/esm/api/index.mjs')).href;
const WORKER = new URL('./validator-worker.ts', import.meta.url);
const BOOT = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER.href)}); });`;
let bundled: string | undefined;

/** The worker's code: the esbuild bundle (made once per process), else the tsx boot script. */
function workerCode(): string {
  if (bundled === undefined) {
    try {
      const esbuild = createRequire(TSX_PACKAGE)('esbuild') as typeof import('esbuild');
      const out = esbuild.buildSync({ entryPoints: [fileURLToPath(WORKER)], bundle: true, format: 'cjs', platform: 'node', target: 'node20', write: false, logLevel: 'silent' });
      bundled = out.outputFiles[0]!.text;
    } catch {
      bundled = BOOT;
    }
  }
  return bundled;
}
const BATCH = 1_000;
const MAX_IN_FLIGHT = 4;
// Ring slots for JSONL chunks: the slower thread's messages in flight, plus the one being filled.
const RING_SLOTS = MAX_IN_FLIGHT + 2;
const SLOT_BYTES = 512 << 10;
// A small young generation keeps each thread's resident memory down; records die young anyway
// (4 MB: 3 MB less per thread than 8, for no measurable CPU; at 2 MB records start to be promoted).
const YOUNG_MB = Number(process.env.CRUCIBLE_VALIDATOR_YOUNG_MB ?? 4);

/** The same interface as Validator's push API, with an async `finish` and a `drain` for backpressure. */
export interface RecordValidator {
  readonly records: number;
  add(record: DatasetRecord): void;
  /** Resolves once the workers are close enough behind (call it after each batch of lines). */
  drain(): Promise<void>;
  finish(): Promise<ValidationResult>;
  /** Stops the workers (on failure). */
  close(): void;
}

/** The config split in two: duplicate rules only, and everything else. */
export function splitConfig(config: ValidationConfig): [ValidationConfig, ValidationConfig] {
  const dupRules = new Set(['dup.exact', 'dup.near']);
  const only = (keep: (rule: string) => boolean): ValidationConfig => ({
    ...config,
    rules: Object.fromEntries(Object.entries(config.rules).map(([rule, settings]) => [rule, { ...settings, enabled: settings.enabled && keep(rule) }])) as ValidationConfig['rules'],
  });
  return [only((r) => dupRules.has(r)), only((r) => !dupRules.has(r))];
}

class ValidatorThread {
  private readonly worker: Worker;
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private failure: Error | undefined;
  private result: Promise<ValidationResult> | undefined;
  private resolveResult: ((r: ValidationResult) => void) | undefined;
  private rejectResult: ((e: Error) => void) | undefined;

  /** Records the thread has validated (as of its last acknowledgement). */
  records = 0;

  constructor(
    config: ValidationConfig,
    private readonly withFields: boolean,
    jsonl: JsonlChunks | undefined,
    /** Called when the thread has parsed the chunk in a ring slot. */
    onSlotRead: (slot: number) => void,
    expectedRecords: number | undefined,
  ) {
    const workerData: ValidatorWorkerData = { config, expectedRecords, ...(jsonl ? { jsonl: { textField: jsonl.textField, withFields } } : {}) };
    this.worker = new Worker(workerCode(), { eval: true, workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } });
    this.worker.on('message', (m: FromValidator) => {
      if (m.type === 'ack') {
        this.inFlight--;
        this.records = m.records;
        if (m.slot !== undefined && m.slot >= 0) onSlotRead(m.slot);
        if (m.badLine && jsonl) this.fail(jsonl.badLine(m.badLine.line, m.badLine.reason));
        this.wake();
      } else {
        this.resolveResult?.(m.result);
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`a validator thread exited with code ${code}`));
    });
  }

  send(records: DatasetRecord[]): void {
    if (this.failure) throw this.failure;
    this.inFlight++;
    this.worker.postMessage({ type: 'batch', records: this.withFields ? records : records.map((r) => ({ id: r.id, text: r.text })) } satisfies ToValidator);
  }

  /** Hands over a chunk of whole JSONL lines in shared memory (read in place, not copied). */
  sendChunk(chunk: RingChunk): void {
    if (this.failure) throw this.failure;
    this.inFlight++;
    this.worker.postMessage({ type: 'jsonl', bytes: chunk.bytes, slot: chunk.slot } satisfies ToValidator);
  }

  /** The thread's failure, once it has failed. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Resolves (or rejects, on failure) at the thread's next acknowledgement. */
  nextAck(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => {
      if (this.failure) throw this.failure;
    });
  }

  async drain(limit: number): Promise<void> {
    while (this.inFlight > limit) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure) throw this.failure;
  }

  finish(): Promise<ValidationResult> {
    this.result ??= new Promise<ValidationResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
      if (this.failure) reject(this.failure);
      else this.worker.postMessage({ type: 'finish' } satisfies ToValidator);
    });
    return this.result;
  }

  /** Stops the thread; resolves once it is gone (and its memory with it). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.rejectResult?.(err);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** How the threads parse JSONL chunks: the text field, and the error for a malformed line. */
export interface JsonlChunks {
  textField: string;
  badLine: (line: number, reason: string) => Error;
}

export class ParallelValidator implements RecordValidator, SlotLender {
  private added = 0;
  private batch: DatasetRecord[] = [];
  private readonly threads: ValidatorThread[];
  /** For JSONL: the ring the chunks are read into, and per slot the threads yet to read it (0: free). */
  readonly ring: LineRing | undefined;
  private readonly readers = new Uint8Array(RING_SLOTS);

  /**
   * With `jsonl`, records come as `addJsonlChunk` calls instead of `add`. `expectedRecords`: about
   * how many will come (ValidatorOptions).
   */
  constructor(config: unknown = {}, private readonly jsonl?: JsonlChunks, expectedRecords?: number) {
    const parsed = parseValidationConfig(config);
    const [dups, rest] = splitConfig(parsed);
    const onSlotRead = (slot: number) => void this.readers[slot]!--;
    // Only the schema rules read the other fields; the dup thread never needs them.
    this.threads = [new ValidatorThread(dups, false, jsonl, onSlotRead, expectedRecords), new ValidatorThread(rest, parsed.shape !== 'none', jsonl, onSlotRead, undefined)];
    this.ring = jsonl ? new LineRing(RING_SLOTS, SLOT_BYTES) : undefined;
  }

  /** Records added, or for JSONL chunks, parsed by the threads so far. */
  get records(): number {
    return this.jsonl ? this.threads[0]!.records : this.added;
  }

  /** A ring slot that no thread reads any more (waits for one). */
  async acquire(): Promise<number> {
    for (;;) {
      const slot = this.readers.indexOf(0);
      if (slot >= 0) {
        this.readers[slot] = 0xff; // being filled
        return slot;
      }
      for (const t of this.threads) if (t.failed) throw t.failed;
      await Promise.race(this.threads.map((t) => t.nextAck()));
    }
  }

  /** Gives back a slot acquired but not sent. */
  release(slot: number): void {
    this.readers[slot] = 0;
  }

  /** Sends one chunk of whole JSONL lines (readLinesIntoRing) to both threads. */
  addJsonlChunk(chunk: RingChunk): void {
    if (chunk.slot >= 0) this.readers[chunk.slot] = this.threads.length;
    for (const t of this.threads) t.sendChunk(chunk);
  }

  add(record: DatasetRecord): void {
    this.batch.push(record);
    this.added++;
    if (this.batch.length >= BATCH) this.flush();
  }

  async drain(): Promise<void> {
    for (const t of this.threads) await t.drain(MAX_IN_FLIGHT);
  }

  /** Resolves once the threads have acknowledged everything sent (rejects on their failure). */
  async settle(): Promise<void> {
    this.flush();
    for (const t of this.threads) await t.drain(0);
  }

  async finish(): Promise<ValidationResult> {
    this.flush();
    try {
      const results = await Promise.all(this.threads.map((t) => t.finish()));
      if (results[0]!.records !== results[1]!.records) throw new Error(`the validator threads saw ${results[0]!.records} and ${results[1]!.records} records`);
      return { records: results[0]!.records, findings: sortFindings(results.flatMap((r) => r.findings)) };
    } finally {
      // Awaited: what comes next (DuckDB's conversion) should not start beside the threads' indexes.
      await Promise.all(this.threads.map((t) => t.close()));
    }
  }

  close(): void {
    for (const t of this.threads) void t.close();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    for (const t of this.threads) t.send(this.batch);
    this.batch = [];
  }
}

/** The validator on the calling thread, behind the same interface (small inputs, or threads turned off). */
export class InlineValidator implements RecordValidator {
  private readonly validator: Validator;

  constructor(config: unknown = {}, expectedRecords?: number) {
    this.validator = new Validator(config, expectedRecords === undefined ? {} : { expectedRecords });
  }

  get records(): number {
    return this.validator.records;
  }

  add(record: DatasetRecord): void {
    this.validator.add(record);
  }

  async drain(): Promise<void> {}

  async finish(): Promise<ValidationResult> {
    return this.validator.finish();
  }

  close(): void {}
}
