/**
 * Encoding damage: U+FFFD left by a decoder that met invalid UTF-8, control characters that no
 * text should carry, and mojibake (UTF-8 bytes decoded as Latin-1/Windows-1252, e.g. "Ã©" for "é").
 */
import { FindingCollector, records } from './finding-collector.js';
import type { ValidationConfig } from './config.js';
import { CONTROL as CONTROL_CUE, MOJIBAKE_LEAD, REPLACEMENT } from './text-facts.js';
import type { DatasetRecord, Finding, RecordContext, Rule } from './types.js';

/** True when the text contains U+FFFD, the replacement character a decoder substitutes for invalid bytes. */
export function hasReplacementChar(text: string): boolean {
  return text.includes('\uFFFD');
}

// C0 controls except \t \n \r, DEL, and the C1 block.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** True when the text contains a C0/C1 control character other than tab, newline and carriage return. */
export function hasControlChars(text: string): boolean {
  return CONTROL.test(text);
}

// The second byte of a 2-byte UTF-8 sequence (0x80–0xBF) read as Windows-1252: the C1 range and
// the Latin-1 punctuation block, plus the characters Windows-1252 puts at 0x80–0x9F.
const CONTINUATION = '\u0080-\u00BF\u20AC\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u017D\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u017E\u0178';
// Without NBSP: French typography puts one after "à" ("à « … »"), which is not damage.
const CONTINUATION_NO_NBSP = CONTINUATION.replace('\u0080-\u00BF', '\u0080-\u009F\u00A1-\u00BF');
// Ã/Â + continuation: a 2-byte sequence (é → Ã©, NBSP → Â ). A lead byte E0–EF (à…ï) + two
// continuations: a 3-byte one (’ → â€™, € → â‚¬, BOM → ï»¿). Ã¢â‚¬ is damage applied twice.
const MOJIBAKE = new RegExp(
  `[\u00C2\u00C3][${CONTINUATION}]|[\u00E0-\u00EF][${CONTINUATION_NO_NBSP}][${CONTINUATION}]|\u00C3\u00A2\u00E2\u201A\u00AC`,
);

/** True when the text shows typical UTF-8-read-as-Windows-1252 markers such as "Ã©" or "â€™". */
export function hasMojibake(text: string): boolean {
  return MOJIBAKE.test(text);
}

/** `encoding.replacement_char`, `encoding.control_chars`, `encoding.mojibake`. */
export function encodingRule(config: ValidationConfig): Rule {
  const r = config.rules;
  const checks = [
    { id: 'encoding.replacement_char', test: hasReplacementChar, cue: REPLACEMENT, setting: r['encoding.replacement_char'],
      message: (n: number) => `${records(n)} contain U+FFFD replacement characters: the source had invalid UTF-8 that was replaced on decoding.`,
      fix: 'Re-export the source as UTF-8 (the original bytes are lost once replaced), or drop these records.' },
    { id: 'encoding.control_chars', test: hasControlChars, cue: CONTROL_CUE, setting: r['encoding.control_chars'],
      message: (n: number) => `${records(n)} contain control characters other than tab, newline and carriage return.`,
      fix: 'Run the transform step `clean: {control_chars: strip}`.' },
    { id: 'encoding.mojibake', test: hasMojibake, cue: MOJIBAKE_LEAD, setting: r['encoding.mojibake'],
      message: (n: number) => `${records(n)} look like UTF-8 decoded as Latin-1/Windows-1252 (markers such as "Ã©", "â€™").`,
      fix: 'Decode the source as UTF-8 at export; for existing text, repair it with a mojibake fixer (e.g. ftfy) before ingest.' },
  ].filter((c) => c.setting.enabled).map((c) => ({ ...c, hits: new FindingCollector(config.maxExamples) }));
  return {
    ids: checks.map((c) => c.id),
    observe(record: DatasetRecord, ctx: RecordContext) {
      // Each check runs only when its cue character occurs (text-facts.ts).
      const flags = ctx.facts().flags;
      for (const c of checks) if ((flags & c.cue) !== 0 && c.test(record.text)) c.hits.add(record.id);
    },
    finish(): Finding[] {
      return checks.flatMap((c) => c.hits.toFindings(c.id, c.setting.severity, c.message, c.fix));
    },
  };
}
