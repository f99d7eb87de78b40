/**
 * `dup.exact`: records whose normalized text (NFKC, case-folded, whitespace collapsed) equals an
 * earlier record's. Only a 64-bit hash per distinct text is kept (≈ 20 bytes per record in the
 * table); two distinct texts collide with probability n²/2⁶⁵, about 3·10⁻⁶ at ten million records.
 */
import type { ValidationConfig } from './config.js';
import { FindingCollector, records } from './finding-collector.js';
import { slotsFor, U64Set } from './hash-table.js';
import { hashString64 } from './hash32.js';
import { isBlank } from './empty.js';
import type { DatasetRecord, Finding, RecordContext, Rule } from './types.js';

/** 64-bit hash of a normalized text as two 32-bit halves. */
export function textHash64(normalized: string): [number, number] {
  const out = new Uint32Array(2);
  hashString64(normalized, out);
  return [out[0]!, out[1]!];
}

/**
 * `dup.exact`. Marks `ctx.exactDuplicate` so that dup.near does not count the same record twice.
 * `expectedRecords` sizes the table up front (0: it starts small and grows).
 */
export function exactDuplicateRule(config: ValidationConfig, expectedRecords = 0): Rule {
  const seen = new U64Set(Math.max(1 << 14, slotsFor(expectedRecords)));
  const hits = new FindingCollector(config.maxExamples);
  let groups = 0;
  const firstRepeats = new U64Set(1 << 10);
  const severity = config.rules['dup.exact'].severity;
  return {
    ids: ['dup.exact'],
    observe(record: DatasetRecord, ctx: RecordContext) {
      if (isBlank(record.text)) return; // blank records are the `empty` rule's
      const hash = ctx.digest().hash;
      const hi = hash[0]!;
      const lo = hash[1]!;
      if (seen.add(hi, lo)) return;
      ctx.exactDuplicate = true;
      hits.add(record.id);
      if (firstRepeats.add(hi, lo)) groups++;
    },
    finish(): Finding[] {
      return hits.toFindings(
        'dup.exact',
        severity,
        (n) => `${records(n)} repeat an earlier record's text exactly (after Unicode, case and whitespace normalization), in ${groups} group${groups === 1 ? '' : 's'}.`,
        'Deduplicate keeping the first of each group (transform step `dedup: {exact: true}`).',
      );
    },
  };
}
