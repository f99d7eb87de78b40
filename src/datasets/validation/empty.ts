import { FindingCollector, records } from './finding-collector.js';
import type { ValidationConfig } from './config.js';
import type { DatasetRecord, Finding, Rule } from './types.js';

const NON_BLANK = /\S/;

/** True when a text has no visible character (empty or whitespace only). */
export function isBlank(text: string): boolean {
  return !NON_BLANK.test(text);
}

/** `empty`: records whose text is empty or whitespace only. */
export function emptyRule(config: ValidationConfig): Rule {
  const hits = new FindingCollector(config.maxExamples);
  const severity = config.rules.empty.severity;
  return {
    ids: ['empty'],
    observe(record: DatasetRecord) {
      if (isBlank(record.text)) hits.add(record.id);
    },
    finish(): Finding[] {
      return hits.toFindings('empty', severity, (n) => `${records(n)} have empty or whitespace-only text.`, 'Drop them (transform step `filter: {min_chars: 1}`) or fix the source export.');
    },
  };
}
