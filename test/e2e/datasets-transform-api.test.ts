/**
 * Dataset transforms end to end on a real app (SQLite): an ingested planted corpus transformed by
 * a recipe into a new version whose lineage (parent, recipe) and report exist; the HTTP routes
 * that validate (line:column, fix) and submit the dataset.transform job; the same recipe again
 * gives the same version; a failing transform leaves no version and no blob.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePlantedCorpus } from '../../src/datasets/testing/planted-corpus.js';
import { CrucibleError } from '../../src/platform/errors.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
let dir: string;
const auth = () => bearer(t.adminKey);

const corpus = generatePlantedCorpus({ seed: 5, baseRecords: 400, exactCopies: 30, nearGroups: 20, nearMisses: 10, piiPerKind: 8, hardNegatives: 20, encodingPerKind: 3, blanks: 4 });
const RECIPE = ['name: clean', 'steps:', '  - normalize: {form: NFKC}', '  - clean: {}', '  - filter_length: {min_chars: 1}', '  - dedup: {exact: true, near: true}', '  - pii: {action: mask}', '  - split: {seed: 3}', ''].join('\n');

function blobCount(): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : n++;
  };
  walk(path.join(t.config.home, 'blobs', 'sha256'));
  return n;
}

async function versionCount(): Promise<number> {
  const row = await t.ctx.database.db.selectFrom('dataset_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

beforeAll(async () => {
  t = await createTestApp();
  dir = mkdtempSync(path.join(tmpdir(), 'crucible-dstx-'));
  const src = path.join(dir, 'planted.jsonl');
  writeFileSync(src, corpus.records.map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n') + '\n');
  await t.ctx.datasets.ingest({ name: 'planted', source: { file: src, label: 'planted.jsonl' }, options: { textField: 'text', skipBadLines: false, validation: {} }, createdBy: null });
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dataset transforms', () => {
  it('refuses a bad recipe before any work, with path, line:column, severity and fix, and submits nothing', async () => {
    const jobsBefore = (await t.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: auth() })).json().items.length;
    // A step with bad options that keeps the columns (pii) still lets the fields after it be checked.
    const bad = ['steps:', '  - pii: {action: scrub}', '  - template: {format: custom, template: "{{txt}}"}', '  - normalise: {}', ''].join('\n');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/planted/versions/1/transform', headers: auth(), payload: { recipe: bad } });
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('dataset_recipe_invalid');
    expect(error.message).toMatch(/^The recipe has 3 errors/);
    expect(error.details.findings.map((f: { path: string; line: number; column: number; severity: string }) => [f.path, f.line, f.column, f.severity])).toEqual([
      ['steps[0].pii.action', 2, 19, 'error'],
      ['steps[1].template.template', 3, 42, 'error'],
      ['steps[2].normalise', 4, 5, 'error'],
    ]);
    expect(error.details.findings[2].message).toContain('did you mean "normalize"');
    expect(error.details.findings[1]).toMatchObject({ code: 'recipe_field_unknown', message: expect.stringContaining('did you mean "text"'), fix: expect.any(String) });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: auth() })).json().items.length).toBe(jobsBefore);
    expect(await versionCount()).toBe(1);

    const check = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/recipes/validate', headers: auth(), payload: { recipe: bad } });
    expect(check.json()).toMatchObject({ valid: false, recipe_sha256: null });
    expect(check.json().findings).toHaveLength(2); // without a dataset, field names are not checked
    const dry = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/planted/versions/1/transform', headers: auth(), payload: { recipe: RECIPE, dry_run: true } });
    expect(dry.json()).toMatchObject({ valid: true, findings: [], recipe_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('submits a dataset.transform job pinned to the parent version', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/planted/versions/latest/transform', headers: auth(), payload: { recipe: RECIPE, recipe_name: 'clean.yaml' } });
    expect(res.statusCode).toBe(202);
    const job = (await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${res.json().job.id}`, headers: auth() })).json();
    expect(job).toMatchObject({ type: 'dataset.transform', payload: { dataset: 'planted@1', recipe_name: 'clean.yaml', name: 'planted' } });
    await t.app.inject({ method: 'POST', url: `/api/v1/jobs/${job.id}/cancel`, headers: auth() });
  });

  it('makes a new version with lineage (parent + recipe) and its own report; PII masked, duplicates gone', async () => {
    const result = await t.ctx.datasets.transformNow({ parent: 'planted@1', recipe: RECIPE, recipeName: 'clean.yaml', createdBy: null });
    expect(result.created).toBe(true);
    const v = (await t.app.inject({ method: 'GET', url: '/api/v1/datasets/planted/versions/2', headers: auth() })).json();
    const dry = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/recipes/validate', headers: auth(), payload: { recipe: RECIPE, dataset: 'planted@1' } });
    expect(v).toMatchObject({ ref: 'planted@2', parent: 'planted@1', format: 'parquet', recipe: { sha256: dry.json().recipe_sha256, name: 'clean.yaml', steps: ['normalize', 'clean', 'filter_length', 'dedup', 'pii', 'split'] } });
    expect(v.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'text', 'split']);
    // Dropped: the blanks and the duplicates the parent's report counts (its near clusters are
    // transitive, an upper bound of what keep-first drops); checked against the planted truth too.
    const parentReport = (await t.app.inject({ method: 'GET', url: '/api/v1/datasets/planted/versions/1/report', headers: auth() })).json();
    const count = (rule: string) => parentReport.findings.find((f: { rule: string; count: number }) => f.rule === rule)?.count ?? 0;
    const dropped = corpus.records.length - v.records;
    const truth = corpus.truth['dup.exact'].size + corpus.truth['dup.near'].size + corpus.truth.empty.size;
    console.log(`transform dropped ${dropped}; parent report: empty ${count('empty')} + dup.exact ${count('dup.exact')} + dup.near ${count('dup.near')}; planted truth ${truth}`);
    expect(dropped).toBeLessThanOrEqual(count('empty') + count('dup.exact') + count('dup.near'));
    expect(dropped).toBeGreaterThanOrEqual(0.9 * truth);
    expect(result.stats.find((s) => s.step === '4:dedup')!.records_out).toBeLessThan(result.stats.find((s) => s.step === '4:dedup')!.records_in);

    const report = (await t.app.inject({ method: 'GET', url: '/api/v1/datasets/planted/versions/2/report', headers: auth() })).json();
    expect(report).toMatchObject({ dataset: 'planted', version: 2, records: v.records, profile: { rows: v.records } });
    const rules = report.findings.map((f: { rule: string }) => f.rule);
    expect(rules.filter((r: string) => r.startsWith('pii.') || r === 'dup.exact' || r === 'empty')).toEqual([]);
    const parentRules = parentReport.findings.map((f: { rule: string }) => f.rule);
    expect(parentRules).toEqual(expect.arrayContaining(['pii.email', 'pii.card', 'dup.exact', 'dup.near', 'empty']));

    const recipe = (await t.app.inject({ method: 'GET', url: '/api/v1/datasets/planted/versions/2/recipe', headers: auth() })).json();
    expect(recipe).toMatchObject({ sha256: v.recipe.sha256, name: 'clean.yaml', source: RECIPE });
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/planted/versions/1/recipe', headers: auth() });
    expect(none.json().error.code).toBe('dataset_recipe_not_found');

    const split = (await t.app.inject({ method: 'POST', url: '/api/v1/datasets/planted/versions/2/query', headers: auth(), payload: { sql: 'SELECT split, count(*) AS n FROM data GROUP BY split ORDER BY split' } })).json();
    expect(split.rows.map((r: { split: string }) => r.split)).toEqual(['test', 'train', 'validation']);

    // Same parent and recipe: the same version, over HTTP too (200, no job).
    expect((await t.ctx.datasets.transformNow({ parent: 'planted@1', recipe: RECIPE, createdBy: null })).created).toBe(false);
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/planted/versions/1/transform', headers: auth(), payload: { recipe: RECIPE.replace('name: clean', '# a comment\nname: clean') } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ version: { ref: 'planted@2' }, job: null });
    // The parent cannot be deleted while its child exists.
    const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/datasets/planted/versions/1', headers: auth() });
    expect(del.json().error).toMatchObject({ code: 'dataset_version_in_use', details: { dependents: ['planted@2'] } });
  });

  it('writes into another dataset with --name; a chained transform reads its parent\'s new fields', async () => {
    const r = await t.ctx.datasets.transformNow({ parent: 'planted@2', recipe: 'steps:\n  - where: "split = \'train\'"\n  - chunk: {max_tokens: 16, overlap_tokens: 4}\n', name: 'planted-train', createdBy: null });
    expect(r.version).toMatchObject({ ref: 'planted-train@1', parent: 'planted@2' });
    expect(r.version.columns.map((c) => c.name)).toEqual(['id', 'text', 'split', 'chunk']);
  });

  it('a transform that fails while running leaves no version and no blob', async () => {
    const [versions, blobs] = [await versionCount(), blobCount()];
    const failures: Array<[string, RegExp]> = [
      ['steps:\n  - filter_length: {min_chars: 1000000}\n', /step 1:filter_length dropped all/],
      ['steps:\n  - map: {text: "CAST(text AS INTEGER)"}\n', /failed on the data: .*Could not convert/],
      ['steps:\n  - where: "split = \'train\'"\n  - template: {format: chatml, fields: {messages: text}}\n', /messages field is not a list/],
    ];
    for (const [recipe, message] of failures) {
      const err = await t.ctx.datasets.transformNow({ parent: 'planted@2', recipe, name: 'broken', createdBy: null }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrucibleError);
      expect((err as CrucibleError).message).toMatch(message);
      expect((err as CrucibleError).kind).toBe('invalid');
    }
    expect(await versionCount()).toBe(versions);
    expect(blobCount()).toBe(blobs);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/datasets/broken', headers: auth() })).statusCode).toBe(404);
    expect(readdirSync(path.join(t.config.home, 'work', 'datasets')).filter((d) => d.startsWith('transform-'))).toEqual([]);
  });
});
