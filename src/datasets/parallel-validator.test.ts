import { describe, expect, it } from 'vitest';
import { InlineValidator, ParallelValidator } from './parallel-validator.js';
import { benchRecords } from './testing/measure-validation-throughput.js';

const lines = benchRecords(3_000, 5).map((r) => JSON.stringify({ id: r.id, text: r.text }));
const chunks = (all: string[], size: number): Buffer[] => {
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += size) out.push(Buffer.from(all.slice(i, i + size).join('\n')));
  return out;
};
const badLine = (line: number, reason: string) => Object.assign(new Error(`line ${line}: ${reason}`), { line });

describe('ParallelValidator on raw JSONL chunks', () => {
  it('reports what one validator reports on the parsed records', async () => {
    const inline = new InlineValidator({});
    lines.forEach((l) => {
      const { id, text } = JSON.parse(l) as { id: number; text: string };
      inline.add({ id, text });
    });
    const parallel = new ParallelValidator({}, { textField: 'text', badLine });
    for (const chunk of chunks(lines, 700)) {
      parallel.addJsonlChunk(chunk);
      await parallel.drain();
    }
    await parallel.settle();
    const [a, b] = [await inline.finish(), await parallel.finish()];
    expect(b.records).toBe(3_000);
    expect(b.findings).toEqual(a.findings);
    expect(b.findings.length).toBeGreaterThan(3);
  });

  it('fails with the number of the first malformed line, counted across chunks', async () => {
    const broken = lines.slice();
    broken[1_234] = '{"id": 1234, "text": "unterminated}';
    const parallel = new ParallelValidator({}, { textField: 'text', badLine });
    try {
      const run = async () => {
        for (const chunk of chunks(broken, 500)) {
          parallel.addJsonlChunk(chunk);
          await parallel.drain();
        }
        await parallel.settle();
      };
      await expect(run()).rejects.toMatchObject({ line: 1_235 });
    } finally {
      parallel.close();
    }
  });
});
