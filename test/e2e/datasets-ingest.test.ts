/**
 * Dataset ingest end to end on a real app (SQLite): every format, content-addressed versions, the
 * report on a planted corpus, and bad input that is refused with a clear error and leaves no
 * version and no blob behind.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/auth/index.js';
import { generatePlantedCorpus } from '../../src/datasets/testing/planted-corpus.js';
import { formatScores, scoreFindings } from '../../src/datasets/testing/score.js';
import type { IngestRequest } from '../../src/datasets/index.js';
import { CrucibleError } from '../../src/platform/errors.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
let dir: string;

beforeAll(async () => {
  t = await createTestApp();
  dir = mkdtempSync(path.join(tmpdir(), 'crucible-ds-'));
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function blobCount(): number {
  const root = path.join(t.config.home, 'blobs', 'sha256');
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : n++;
  };
  try {
    walk(root);
  } catch {
    return 0;
  }
  return n;
}

async function versionCount(): Promise<number> {
  const row = await t.ctx.database.db.selectFrom('dataset_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function ingest(name: string, source: string, options: Partial<IngestRequest['options']> = {}, label = path.basename(source)) {
  return t.ctx.datasets.ingest({ name, source: { file: source, label }, options: { textField: 'text', skipBadLines: false, validation: {}, ...options }, createdBy: null });
}

function jsonl(n: number, make = (i: number) => ({ id: i, text: `Record ${i}: the quick brown fox ${i * 7} jumps over ${i % 13} lazy dogs.` })): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify(make(i))).join('\n') + '\n';
}

describe('ingest', () => {
  it('ingests JSONL into a Parquet version with a profile and findings; same content → same version', async () => {
    const src = file('a.jsonl', jsonl(500, (i) => ({ id: i, text: i % 50 === 0 ? `mail ${i}@example.com please` : `Record ${i} talks about ${i * 31} things.`, lang: i % 2 ? 'en' : 'fr' })));
    const first = await ingest('alpha', src);
    expect(first.created).toBe(true);
    expect(first.version.ref).toBe('alpha@1');
    expect(first.version.records).toBe(500);
    expect(first.version.columns.map((c) => c.name)).toEqual(['id', 'text', 'lang']);
    expect(first.version.profile.rows).toBe(500);
    expect(first.version.profile.top_values.lang).toHaveLength(2);
    expect(first.version.profile.text?.chars.histogram.length).toBeGreaterThan(0);
    expect(first.version.findings.find((f) => f.rule === 'pii.email')?.count).toBe(10);
    const blobs = blobCount();
    const again = await ingest('alpha', src);
    expect(again.created).toBe(false);
    expect(again.version.id).toBe(first.version.id);
    expect(blobCount()).toBe(blobs);
    const other = await ingest('alpha', src, { textField: 'lang' });
    expect(other.version.ref).toBe('alpha@2');
  });

  it('ingests CSV, TSV, Parquet, text lines, a zip and a folder of documents', async () => {
    const csv = await ingest('csv', file('b.csv', 'id,text\n1,"hello, world"\n2,"multi\nline"\n3,plain\n'));
    expect(csv.version.records).toBe(3);
    const tsv = await ingest('tsv', file('b.tsv', 'id\ttext\n1\tone\n2\ttwo\n'));
    expect(tsv.version.records).toBe(2);
    const parquet = path.join(dir, 'from-export.parquet');
    const exported = await t.ctx.datasets.export(SYSTEM_ACTOR, 'csv@1', 'parquet');
    const { pipeline } = await import('node:stream/promises');
    const { createWriteStream } = await import('node:fs');
    await pipeline(exported.stream, createWriteStream(parquet));
    const pq = await ingest('pq', parquet);
    expect(pq.version.records).toBe(3);
    const text = await ingest('lines', file('c.txt', 'first line\n\nsecond line\nthird\n'));
    expect(text.version.records).toBe(3);
    const docs = path.join(dir, 'docs');
    mkdirSync(path.join(docs, 'sub'), { recursive: true });
    writeFileSync(path.join(docs, 'a.md'), '# A\nalpha');
    writeFileSync(path.join(docs, 'sub', 'b.txt'), 'beta');
    writeFileSync(path.join(docs, 'skip.bin'), 'x');
    const folder = await ingest('folder', docs, {}, 'docs');
    expect(folder.version.records).toBe(2);
    execFileSync('zip', ['-qr', path.join(dir, 'docs.zip'), '.'], { cwd: docs });
    const zip = await ingest('zipped', path.join(dir, 'docs.zip'));
    expect(zip.version.records).toBe(2);
    expect(zip.version.columns.map((c) => c.name).sort()).toEqual(['path', 'text']);
  });

  it('finds the planted problems of a generated corpus through the stored report (precision and recall ≥ 0.95)', async () => {
    const corpus = generatePlantedCorpus({ seed: 42 });
    const src = file('planted.jsonl', corpus.records.map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n') + '\n');
    const { version } = await ingest('planted', src, { validation: { maxExamples: corpus.records.length } });
    const report = await t.ctx.datasets.report(SYSTEM_ACTOR, version.ref);
    const scores = scoreFindings(corpus, report.findings);
    console.log(`ingested planted corpus: ${report.records} records\n${formatScores(scores)}`);
    for (const s of scores) {
      expect(s.precision, `${s.kind} precision`).toBeGreaterThanOrEqual(0.95);
      expect(s.recall, `${s.kind} recall`).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('validates on two worker threads with the same findings as on one', async () => {
    const corpus = generatePlantedCorpus({ seed: 7, baseRecords: 800 });
    const src = file('planted-7.jsonl', corpus.records.map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n') + '\n');
    const request = (name: string) => ({ name, source: { file: src, label: 'planted-7.jsonl' }, options: { textField: 'text', skipBadLines: false, validation: {} }, createdBy: null });
    const inline = await t.ctx.datasets.ingest(request('threads-1'), { validatorThreads: 1 });
    const threaded = await t.ctx.datasets.ingest(request('threads-2'), { validatorThreads: 2 });
    expect(threaded.version.findings).toEqual(inline.version.findings);
    expect(threaded.version.findings.length).toBeGreaterThan(5);
  });

  it('skips malformed JSONL lines with skipBadLines and counts them', async () => {
    const lines = jsonl(20).split('\n');
    lines[4] = '{"text": broken';
    lines[9] = '[1, 2]';
    const result = await ingest('skippy', file('skip.jsonl', lines.join('\n')), { skipBadLines: true });
    expect(result.skipped).toBe(2);
    expect(result.version.records).toBe(18);
    expect(result.version.skipped_lines).toBe(2);
  });
});

describe('bad input is refused and leaves nothing behind', () => {
  const big = () => {
    const lines = jsonl(13_000).split('\n');
    lines[12_344] = '{"id": 12344, "text": "unterminated}';
    return lines.join('\n');
  };
  const zipWithTraversal = () => {
    // A zip whose entry is named ../evil.txt, built by hand (stored, no compression).
    const name = Buffer.from('../evil.txt');
    const data = Buffer.from('evil');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    const dirOffset = local.length + name.length + data.length;
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(1, 8);
    end.writeUInt16LE(1, 10);
    end.writeUInt32LE(central.length + name.length, 12);
    end.writeUInt32LE(dirOffset, 16);
    return Buffer.concat([local, name, data, central, name, end]);
  };
  const cases: Array<{ what: string; name: string; content: () => string | Buffer; code: string; message: RegExp }> = [
    { what: 'a malformed JSONL line 12,345', name: 'bad.jsonl', content: big, code: 'dataset_bad_line', message: /Line 12,345 of bad\.jsonl.*--skip-bad-lines/ },
    { what: 'a CSV with ragged rows', name: 'ragged.csv', content: () => 'a,text\n1,x\n2\n3,y,z\n', code: 'dataset_csv_ragged', message: /line 3\) has 1 fields, but the header has 2/ },
    { what: 'a binary file named .jsonl', name: 'binary.jsonl', content: () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), code: 'dataset_binary_input', message: /looks like binary data/ },
    { what: 'a zip with a path traversal entry', name: 'evil.zip', content: zipWithTraversal, code: 'dataset_zip_unsafe_path', message: /"\.\.\/evil\.txt" that points outside the archive/ },
    { what: 'an empty file', name: 'empty.jsonl', content: () => '', code: 'dataset_empty', message: /is empty/ },
    { what: 'a 0-column CSV', name: 'zero.csv', content: () => '\n\n\n', code: 'dataset_csv_no_columns', message: /has no columns/ },
    { what: 'JSONL without the text field', name: 'notext.jsonl', content: () => '{"body": "x"}\n', code: 'dataset_text_field_missing', message: /no field "text" \(it has: body\).*--text-field/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.what}`, async () => {
      // The upload comes first (as from the CLI), so "nothing behind" includes removing it again.
      const src = file(c.name, c.content());
      const { sha256 } = await t.ctx.blobs.put((await import('node:fs')).createReadStream(src));
      const [versions, blobs] = [await versionCount(), blobCount()];
      const err = await t.ctx.datasets
        .ingest({ name: 'bad', source: { file: src, label: c.name, sha256 }, options: { textField: 'text', skipBadLines: false, validation: {} }, createdBy: null, discardSourceOnFailure: true })
        .then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(CrucibleError);
      expect((err as CrucibleError).code).toBe(c.code);
      expect((err as CrucibleError).message).toMatch(c.message);
      expect(await versionCount()).toBe(versions);
      expect(blobCount()).toBe(blobs - 1);
    });
  }
});
