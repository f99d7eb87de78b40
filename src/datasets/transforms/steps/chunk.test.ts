import { describe, expect, it } from 'vitest';
import { transformRows } from '../test-support.js';
import { chunkRanges } from './chunk.js';

const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

describe('chunk', () => {
  it('pieces respect the limit, overlap by the overlap, and cover the whole text', () => {
    const text = words(400); // ~3.3k chars
    const pieces = chunkRanges(text, 200, 40);
    expect(pieces.length).toBeGreaterThan(15);
    expect(pieces[0]!.start).toBe(0);
    expect(pieces.at(-1)!.end).toBe(text.length);
    for (const [i, p] of pieces.entries()) {
      expect(p.end - p.start).toBeLessThanOrEqual(200);
      if (i > 0) {
        const prev = pieces[i - 1]!;
        expect(p.start).toBe(prev.end - 40); // exact overlap: no gap, no more than asked
      }
      // Cuts fall after whitespace (words stay whole) unless at the end.
      if (p.end < text.length) expect(text[p.end - 1]).toBe(' ');
    }
  });

  it('without spaces it cuts at the limit; a short text is one piece', () => {
    expect(chunkRanges('x'.repeat(25), 10, 3)).toEqual([{ start: 0, end: 10 }, { start: 7, end: 17 }, { start: 14, end: 24 }, { start: 21, end: 25 }]);
    expect(chunkRanges('short', 10, 3)).toEqual([{ start: 0, end: 5 }]);
  });

  it('emits one record per piece with its index, copying the other fields (max_tokens × chars_per_token)', async () => {
    const text = words(300);
    const out = await transformRows('steps:\n  - chunk: {max_tokens: 50, overlap_tokens: 10}\n', [{ id: 7, text }, { id: 8, text: 'tiny' }]);
    const seven = out.rows.filter((r) => r.id === 7);
    expect(seven.map((r) => r.chunk)).toEqual(seven.map((_, i) => i));
    for (const r of seven) expect((r.text as string).length).toBeLessThanOrEqual(200);
    // Reassembling the pieces minus their overlaps gives the text back.
    let rebuilt = '';
    for (const r of seven) {
      const piece = r.text as string;
      const overlap = rebuilt.length ? [...Array(41).keys()].reverse().find((k) => rebuilt.endsWith(piece.slice(0, k))) ?? 0 : 0;
      rebuilt += piece.slice(overlap);
    }
    expect(rebuilt).toBe(text);
    expect(out.rows.filter((r) => r.id === 8)).toEqual([{ id: 8, text: 'tiny', chunk: 0 }]);
    expect(out.columns.map((c) => c.name)).toEqual(['id', 'text', 'chunk']);
  });
});
