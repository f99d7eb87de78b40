import type { PiiKind } from '../config.js';

/** Where a detector found something: [start, end) in UTF-16 code units of the text. */
export interface PiiSpan {
  kind: PiiKind;
  start: number;
  end: number;
}

/** Run a global regex over a text and keep the matches that `accept` confirms. */
export function scan(text: string, re: RegExp, kind: PiiKind, accept: (m: RegExpExecArray) => boolean): PiiSpan[] {
  const spans: PiiSpan[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (accept(m)) spans.push({ kind, start: m.index, end: m.index + m[0].length });
  }
  return spans;
}
