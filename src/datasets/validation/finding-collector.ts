import type { Finding, RecordId, Severity } from './types.js';

/** Counts the records a rule flags and keeps the first few ids as examples (bounded memory). */
export class FindingCollector {
  count = 0;
  readonly examples: RecordId[] = [];

  constructor(private readonly maxExamples: number) {}

  /** Flag one record. Call at most once per record. */
  add(id: RecordId): void {
    this.count++;
    if (this.examples.length < this.maxExamples) this.examples.push(id);
  }

  /** The finding, or nothing when no record was flagged. */
  toFindings(rule: string, severity: Severity, message: (count: number) => string, fix: string): Finding[] {
    if (this.count === 0) return [];
    return [{ rule, severity, count: this.count, examples: this.examples.slice(), message: message(this.count), fix }];
  }
}

/** "1 record" / "42 records". */
export function records(n: number): string {
  return n === 1 ? '1 record' : `${n} records`;
}
