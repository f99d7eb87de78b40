import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { streamJsonl } from './jsonl-pass.js';
import { InlineValidator, ParallelValidator } from './parallel-validator.js';
import { benchRecords } from './testing/measure-validation-throughput.js';

// ~2 MB: several chunks, so that the ring's slots are reused.
const lines = benchRecords(3_000, 5).map((r) => JSON.stringify({ id: r.id, text: r.text }));
const dir = mkdtempSync(path.join(tmpdir(), 'parallel-validator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const badLine = (line: number, reason: string) => Object.assign(new Error(`line ${line}: ${reason}`), { line });

/** Streams a JSONL file through the validator threads, as the ingest does. */
async function stream(file: string, parallel: ParallelValidator): Promise<void> {
  await streamJsonl(file, { label: 'test.jsonl', ring: parallel.ring!, lender: parallel, sink: (chunk) => parallel.addJsonlChunk(chunk), afterBatch: () => parallel.drain(), settle: () => parallel.settle() });
}

describe('ParallelValidator on raw JSONL chunks', () => {
  it('reports what one validator reports on the parsed records', async () => {
    const inline = new InlineValidator({});
    lines.forEach((l) => {
      const { id, text } = JSON.parse(l) as { id: number; text: string };
      inline.add({ id, text });
    });
    const file = path.join(dir, 'good.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const parallel = new ParallelValidator({}, { textField: 'text', badLine });
    await stream(file, parallel);
    const [a, b] = [await inline.finish(), await parallel.finish()];
    expect(b.records).toBe(3_000);
    expect(b.findings).toEqual(a.findings);
    expect(b.findings.length).toBeGreaterThan(3);
  });

  it('fails with the number of the first malformed line, counted across chunks', async () => {
    const broken = lines.slice();
    broken[2_234] = '{"id": 2234, "text": "unterminated}';
    const file = path.join(dir, 'broken.jsonl');
    writeFileSync(file, broken.join('\n'));
    const parallel = new ParallelValidator({}, { textField: 'text', badLine });
    try {
      await expect(stream(file, parallel)).rejects.toMatchObject({ line: 2_235 });
    } finally {
      parallel.close();
    }
  });
});
