/**
 * The shapes shared by every validation rule: the record a rule reads, the finding it reports
 * (INTERFACES.md, "The dataset report"), and the streaming contract each rule implements.
 */

import type { TextDigest } from './text-digest.js';
import type { TextFacts } from './text-facts.js';

/** A record's stable identifier: a row index or a string id from the source. */
export type RecordId = string | number;

/** One record as the validator sees it: the text training reads, plus the source's other fields. */
export interface DatasetRecord {
  id: RecordId;
  text: string;
  fields?: Record<string, unknown>;
}

export type Severity = 'error' | 'warning' | 'info';

/** Severity order used to sort a report: errors first. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/** One line of the validation report. Never carries raw PII: only record ids. */
export interface Finding {
  rule: string;
  severity: Severity;
  /** Records affected; for duplicates, the records beyond the first of their group. */
  count: number;
  /** Record ids, at most `maxExamples`, in stream order. */
  examples: RecordId[];
  message: string;
  fix: string;
}

/**
 * Per-record facts computed once and shared between rules, so that the text is scanned and
 * normalized once and near-dup detection can skip records that exact dedup already counted.
 */
export interface RecordContext {
  /** Cheap character facts of the raw text (text-facts.ts): which checks could match at all. */
  facts(): TextFacts;
  /** Hash of the normalized text and, when dup.near runs, its word hashes (text-digest.ts). */
  digest(): TextDigest;
  /** Position of the record in the stream (0-based). */
  index: number;
  /** Lazily computed NFKC + case-folded + whitespace-collapsed text. */
  normalized(): string;
  /** Set by dup.exact when the record's normalized text was seen before. */
  exactDuplicate: boolean;
}

/** A streaming rule: sees each record once, in order, and reports at the end with bounded state. */
export interface Rule {
  /** The rule ids this rule can report (schema and encoding rules report several). */
  readonly ids: readonly string[];
  observe(record: DatasetRecord, ctx: RecordContext): void;
  finish(): Finding[];
}
