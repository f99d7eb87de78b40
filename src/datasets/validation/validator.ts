/**
 * The validator: runs every enabled rule over a stream of records, one record at a time, and
 * returns the report's findings sorted by severity, then count. Push records with `add` (an ingest
 * loop) or hand it an iterable with `run`.
 */
import { parseValidationConfig, type ValidationConfig } from './config.js';
import { exactDuplicateRule } from './dup-exact.js';
import { nearDuplicateRule } from './dup-near.js';
import { emptyRule } from './empty.js';
import { encodingRule } from './encoding.js';
import { lengthOutlierRule } from './length-outlier.js';
import { piiRule } from './pii-rule.js';
import { schemaRule } from './schema-shape.js';
import { SharedRecordContext } from './record-context.js';
import { SEVERITY_RANK, type DatasetRecord, type Finding, type Rule } from './types.js';

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

export interface ValidationResult {
  records: number;
  findings: Finding[];
}

/** Sort findings: errors first, then larger counts, then rule id. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.count - a.count || a.rule.localeCompare(b.rule));
}

/** The rules a config enables, in the order they must see each record (dup.exact before dup.near). */
function createRules(config: ValidationConfig): Rule[] {
  const r = config.rules;
  const rules: Rule[] = [];
  if (r.empty.enabled) rules.push(emptyRule(config));
  if (r['length.outlier'].enabled) rules.push(lengthOutlierRule(config));
  if (r['dup.exact'].enabled) rules.push(exactDuplicateRule(config));
  if (r['dup.near'].enabled) rules.push(nearDuplicateRule(config));
  rules.push(piiRule(config), encodingRule(config), schemaRule(config));
  return rules.filter((rule) => rule.ids.length > 0);
}

/** Streaming dataset validator; one instance validates one dataset version. */
export class Validator {
  readonly config: ValidationConfig;
  private readonly rules: Rule[];
  private readonly ctx: SharedRecordContext;
  private finished = false;
  records = 0;
  chars = 0;

  /** @param config a validation config (parsed here, defaults filled) */
  constructor(config: unknown = {}) {
    this.config = parseValidationConfig(config);
    this.rules = createRules(this.config);
    const near = this.config.rules['dup.near'];
    this.ctx = new SharedRecordContext(near.enabled ? near.seed : undefined);
  }

  /** The rule ids this validator reports on. */
  get ruleIds(): string[] {
    return this.rules.flatMap((r) => [...r.ids]);
  }

  /** Validate one record. */
  add(record: DatasetRecord): void {
    if (this.finished) throw new Error('Validator.add after finish: create a new Validator per dataset version');
    this.ctx.reset(this.records, record.text);
    for (const rule of this.rules) rule.observe(record, this.ctx);
    this.records++;
    this.chars += record.text.length;
  }

  /** The findings, sorted by severity then count. Call once, after the last record. */
  finish(): ValidationResult {
    this.finished = true;
    return { records: this.records, findings: sortFindings(this.rules.flatMap((r) => r.finish())) };
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
