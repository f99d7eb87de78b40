/**
 * The enabled rules of a parsed validation config, run over records one at a time: the engine of
 * Validator (validator.ts), which adds the config parsing. A validator thread loads this module
 * alone, without the config schema and its library (3–4 MB of heap per thread).
 */
import type { ValidationConfig } from './config.js';
import { exactDuplicateRule } from './dup-exact.js';
import { nearDuplicateRule } from './dup-near.js';
import { emptyRule } from './empty.js';
import { encodingRule } from './encoding.js';
import { lengthOutlierRule } from './length-outlier.js';
import { piiRule } from './pii-rule.js';
import { schemaRule } from './schema-shape.js';
import { SharedRecordContext } from './record-context.js';
import { SEVERITY_RANK, type DatasetRecord, type Finding, type Rule } from './types.js';

export interface ValidatorOptions {
  /**
   * About how many records will come: the duplicate rules size their tables for it once instead
   * of growing them by doubling (which copies them, and leaves the freed tables to the allocator).
   */
  expectedRecords?: number;
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
function createRules(config: ValidationConfig, { expectedRecords = 0 }: ValidatorOptions): Rule[] {
  const r = config.rules;
  const rules: Rule[] = [];
  if (r.empty.enabled) rules.push(emptyRule(config));
  if (r['length.outlier'].enabled) rules.push(lengthOutlierRule(config));
  if (r['dup.exact'].enabled) rules.push(exactDuplicateRule(config, expectedRecords));
  if (r['dup.near'].enabled) rules.push(nearDuplicateRule(config, expectedRecords));
  rules.push(piiRule(config), encodingRule(config), schemaRule(config));
  return rules.filter((rule) => rule.ids.length > 0);
}

/** The rules of one dataset version, fed one record at a time. */
export class RuleSet {
  private readonly rules: Rule[];
  private readonly ctx: SharedRecordContext;
  private finished = false;
  records = 0;
  chars = 0;

  /** @param config a parsed config (parseValidationConfig), defaults filled */
  constructor(
    readonly config: ValidationConfig,
    options: ValidatorOptions = {},
  ) {
    this.rules = createRules(config, options);
    const near = config.rules['dup.near'];
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
}
