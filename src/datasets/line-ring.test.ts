import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineRing, readLinesIntoRing, type SlotLender } from './line-ring.js';
import { splitLines } from './lines.js';

const dir = mkdtempSync(path.join(tmpdir(), 'line-ring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads `text` through a ring of `slots` × `slotBytes`, giving each slot back once its lines are split. */
async function linesThroughRing(text: string, slots: number, slotBytes: number): Promise<{ lines: string[]; chunks: number; ownMemory: number }> {
  const file = path.join(dir, `f-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, text);
  const ring = new LineRing(slots, slotBytes);
  const free = Array.from({ length: slots }, (_, i) => i);
  const lender: SlotLender = { acquire: async () => free.shift()!, release: (slot) => void free.push(slot) };
  const lines: string[] = [];
  let chunks = 0;
  let ownMemory = 0;
  for await (const chunk of readLinesIntoRing(file, ring, lender)) {
    if (chunk.slot >= 0) expect(free, 'a chunk\'s slot stays lent out until it is given back').not.toContain(chunk.slot);
    lines.push(...splitLines(chunk.bytes));
    chunks++;
    if (chunk.slot < 0) ownMemory++;
    else lender.release(chunk.slot);
  }
  return { lines, chunks, ownMemory };
}

describe('readLinesIntoRing', () => {
  it('yields every line once, whole, across slots; CRLF, a missing last newline and multi-byte text included', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `{"n":${i},"text":"${'é€😀'.repeat(i % 7)}"}`);
    const { lines: read, chunks } = await linesThroughRing(lines.join('\r\n'), 3, 256);
    expect(read).toEqual(lines);
    expect(chunks).toBeGreaterThan(20);
  });

  it('carries a line longer than a slot in memory of its own', async () => {
    const lines = ['short', 'x'.repeat(1_000), 'after', 'y'.repeat(300), ''];
    const { lines: read, ownMemory } = await linesThroughRing(lines.join('\n'), 2, 64);
    expect(read.filter((l) => l !== '')).toEqual(lines.filter((l) => l !== ''));
    expect(ownMemory).toBe(2);
  });

  it('refuses a line longer than 16 MB with its number', async () => {
    await expect(linesThroughRing(`a\nb\n${'x'.repeat(17 << 20)}\nc`, 2, 1 << 20)).rejects.toMatchObject({ code: 'dataset_line_too_long', details: { line: 3 } });
  });

  it('yields nothing for an empty file', async () => {
    expect((await linesThroughRing('', 2, 64)).chunks).toBe(0);
  });
});
