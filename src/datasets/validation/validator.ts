/**
 * The validator: runs every enabled rule over a stream of records, one record at a time, and
 * returns the report's findings sorted by severity, then count. Push records with `add` (an ingest
 * loop) or hand it an iterable with `run`. The rules themselves run in RuleSet (rule-set.ts).
 */
import { parseValidationConfig } from './config.js';
import { RuleSet, type ValidationResult, type ValidatorOptions } from './rule-set.js';
import type { DatasetRecord } from './types.js';

export { sortFindings, type ValidationResult, type ValidatorOptions } from './rule-set.js';

export interface ValidationProgress {
  /** Records validated so far. */
  records: number;
  /** UTF-16 code units of text validated so far. */
  chars: number;
}

export interface RunOptions {
  /** Called every `progressEvery` records and once at the end. */
  onProgress?: (progress: ValidationProgress) => void;
  progressEvery?: number;
  /** Stops the run between records; `run` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Streaming dataset validator; one instance validates one dataset version. */
export class Validator extends RuleSet {
  /** @param config a validation config (parsed here, defaults filled) */
  constructor(config: unknown = {}, options: ValidatorOptions = {}) {
    super(parseValidationConfig(config), options);
  }

  /** Validate every record of a (async) iterable and return the findings. */
  async run(source: AsyncIterable<DatasetRecord> | Iterable<DatasetRecord>, options: RunOptions = {}): Promise<ValidationResult> {
    const every = options.progressEvery ?? 10_000;
    for await (const record of source) {
      options.signal?.throwIfAborted();
      this.add(record);
      if (this.records % every === 0) options.onProgress?.({ records: this.records, chars: this.chars });
    }
    options.onProgress?.({ records: this.records, chars: this.chars });
    return this.finish();
  }
}

/** Validate a stream of records with a config. @example const { findings } = await validateRecords(records, { shape: 'chat' }); */
export function validateRecords(source: AsyncIterable<DatasetRecord> | Iterable<DatasetRecord>, config: unknown = {}, options: RunOptions = {}): Promise<ValidationResult> {
  return new Validator(config).run(source, options);
}
