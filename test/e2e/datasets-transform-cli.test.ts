/**
 * `crucible dataset transform` and `validate-recipe` against a real `crucible start`, whose
 * embedded worker runs the dataset.transform job in its own process: a bad recipe is refused with
 * FILE:LINE:COLUMN and a fix; the shipped example recipe makes a new version with lineage and a
 * report; a transform that fails leaves nothing; a workflow step `uses: dataset.transform`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, startCliServer, stopCliServer, type StartedServer } from '../support/cli.js';

let home: string;
let server: StartedServer;
let env: Record<string, string>;

const cli = (...args: string[]) => runCli(args, { cwd: home, env });
const EXAMPLE = path.join(REPO_ROOT, 'examples/recipes/clean-dedup-recipe.yaml');
// 300 records: every 10th repeats an earlier one (case and spacing changed), every 25th carries an email.
const corpus = () =>
  Array.from({ length: 300 }, (_, i) => {
    const n = i % 10 === 9 ? i - 5 : i;
    const text = `Entry ${n}: notes about topic ${n % 7} and the ﬁrst draft of section ${n}${i % 25 === 0 ? `, mail ops${i}@example.org` : ''}.`;
    return JSON.stringify({ id: i, text: i % 10 === 9 ? `  ${text.toUpperCase()}  ` : text });
  }).join('\n') + '\n';

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), 'crucible-dstxcli-'));
  env = { CRUCIBLE_HOME: home, CRUCIBLE_WORKER_CONCURRENCY: '1', CRUCIBLE_WORKER_POLL_MS: '100' };
  server = await startCliServer({ cwd: home, env });
  env.CRUCIBLE_URL = server.url;
  writeFileSync(path.join(home, 'corpus.jsonl'), corpus());
  const added = cli('dataset', 'add', 'corpus.jsonl', '--name', 'corpus', '--wait', '--json');
  if (added.code !== 0) throw new Error(added.stderr);
}, 120_000);
afterAll(async () => {
  if (server) await stopCliServer(server);
  rmSync(home, { recursive: true, force: true });
});

describe('crucible dataset transform', () => {
  it('validate-recipe prints each mistake as FILE:LINE:COLUMN with severity and fix, exit 1; a good recipe passes', () => {
    writeFileSync(path.join(home, 'bad.yaml'), ['steps:', '  - normalize: {form: NFKC}', '  - dedupe: {exact: true}', '  - filter_length: {min_chars: 10, max_chars: 5}', ''].join('\n'));
    const bad = cli('dataset', 'validate-recipe', 'bad.yaml');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad.yaml has 2 errors');
    expect(bad.stderr).toContain('bad.yaml:3:5 error steps[1].dedupe: unknown step "dedupe" (did you mean "dedup"?).');
    expect(bad.stderr).toMatch(/bad\.yaml:4:\d+ error steps\[2\]\.filter_length\.min_chars: min_chars must not exceed max_chars\.\n  fix: e\.g\. filter_length:/);
    const json = cli('dataset', 'validate-recipe', 'bad.yaml', '--json');
    expect(json.code).toBe(1);
    writeFileSync(path.join(home, 'field.yaml'), 'steps:\n  - pii: {fields: [body]}\n');
    expect(cli('dataset', 'validate-recipe', 'field.yaml').code).toBe(0); // no dataset: field names unchecked
    const field = cli('dataset', 'validate-recipe', 'field.yaml', '--dataset', 'corpus@1');
    expect(field.code).toBe(1);
    expect(field.stderr).toContain('field.yaml:2:20 error steps[0].pii.fields[0]: no field "body" in the records at this step; they have: id, text.');
    expect(cli('dataset', 'validate-recipe', EXAMPLE, '--dataset', 'corpus').code).toBe(0);
  }, 60_000);

  it('refuses a bad recipe at submission: exit 1, the findings, and no job or version', () => {
    const refused = cli('dataset', 'transform', 'corpus@1', '--recipe', 'bad.yaml', '--wait');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('bad.yaml:3:5 error steps[1].dedupe');
    expect(JSON.parse(cli('dataset', 'versions', 'corpus', '--json').stdout).items).toHaveLength(1);
    expect(JSON.parse(cli('job', 'list', '--json').stdout).items.filter((j: { type: string }) => j.type === 'dataset.transform')).toEqual([]);
  }, 60_000);

  it('runs the example recipe as a job: a new version with parent, recipe and report', () => {
    const run = cli('dataset', 'transform', 'corpus@1', '--recipe', EXAMPLE, '--wait', '--json');
    expect(run.code).toBe(0);
    const v = JSON.parse(run.stdout);
    expect(v).toMatchObject({ ref: 'corpus@2', parent: 'corpus@1', recipe: { name: 'clean-dedup-recipe.yaml', steps: ['normalize', 'clean', 'filter_length', 'dedup', 'pii', 'split'] } });
    expect(v.records).toBe(270); // the 30 repeats are gone
    expect(run.stderr).toMatch(/step 4:dedup: 300 records in, 270 out/); // the job's log, relayed while waiting
    const show = cli('dataset', 'show', 'corpus@2');
    expect(show.stdout).toContain('parent corpus@1');
    expect(show.stdout).toContain(`recipe: ${v.recipe.sha256.slice(0, 12)} (clean-dedup-recipe.yaml): normalize → clean → filter_length → dedup → pii → split`);
    const recipe = cli('dataset', 'recipe', 'corpus@2');
    expect(recipe.stdout.split('\n')[0]).toBe(`# corpus@2 = corpus@1 + recipe ${v.recipe.sha256} (clean-dedup-recipe.yaml)`);
    expect(recipe.stdout).toContain('  - dedup:\n      exact: true');
    expect(cli('dataset', 'recipe', 'corpus@1').stderr).toMatch(/corpus@1 was not made by a transform/);
    const report = JSON.parse(cli('dataset', 'report', 'corpus@2', '--json').stdout);
    expect(report).toMatchObject({ dataset: 'corpus', version: 2, records: 270 });
    expect(report.findings.map((f: { rule: string }) => f.rule)).not.toContain('pii.email');
    const parentReport = JSON.parse(cli('dataset', 'report', 'corpus@1', '--json').stdout);
    expect(parentReport.findings.map((f: { rule: string }) => f.rule)).toEqual(expect.arrayContaining(['pii.email', 'dup.exact']));
    const rows = JSON.parse(cli('dataset', 'query', 'corpus@2', "SELECT text FROM data WHERE text LIKE '%[EMAIL]%' OR text LIKE '%ﬁ%'", '--json').stdout).rows;
    expect(rows.every((r: { text: string }) => r.text.includes('[EMAIL]') && !r.text.includes('ﬁ'))).toBe(true);
    expect(rows).toHaveLength(12);
    // The job reported its progress as events, phase by phase, as an ingest does.
    const job = JSON.parse(cli('job', 'list', '--json').stdout).items.find((j: { type: string; state: string }) => j.type === 'dataset.transform' && j.state === 'succeeded');
    expect(job.result).toMatchObject({ ref: 'corpus@2', parent: 'corpus@1', created: true, recipe_sha256: v.recipe.sha256 });
    const logs = cli('job', 'logs', job.id);
    expect(logs.stdout).toMatch(/PROGRESS 300\/300 transforming/);
    expect(logs.stdout).toMatch(/PROGRESS \d+(\/\d+)? validating/);
    expect(logs.stdout).toMatch(/corpus@1: transforming[\s\S]*corpus@1: validating the output[\s\S]*created corpus@2 from corpus@1: 270 records/);
    // The same recipe again: the same version, at once.
    expect(JSON.parse(cli('dataset', 'transform', 'corpus@1', '--recipe', EXAMPLE, '--json').stdout)).toMatchObject({ ref: 'corpus@2' });
  }, 120_000);

  it('a transform that fails while running exits 1 and leaves no version', () => {
    writeFileSync(path.join(home, 'drop-all.yaml'), 'steps:\n  - filter_length: {min_chars: 100000}\n');
    const failed = cli('dataset', 'transform', 'corpus@2', '--recipe', 'drop-all.yaml', '--name', 'empty', '--wait');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/keeps no records: step 1:filter_length dropped all 270/);
    expect(cli('dataset', 'show', 'empty').code).toBe(1);
  }, 120_000);

  it('a workflow step uses dataset.transform with an inline recipe', () => {
    writeFileSync(
      path.join(home, 'wf.yaml'),
      ['name: prepare', 'steps:', '  train-only:', '    uses: dataset.transform', '    with:', '      dataset: corpus@2', '      name: corpus-train', '      recipe:', '        steps:', '          - where: "split = \'train\'"', ''].join('\n'),
    );
    const run = cli('workflow', 'run', 'wf.yaml', '--wait', '--json');
    expect(run.code).toBe(0);
    const v = JSON.parse(cli('dataset', 'show', 'corpus-train', '--json').stdout);
    expect(v).toMatchObject({ ref: 'corpus-train@1', parent: 'corpus@2', recipe: { steps: ['where'] } });
    expect(v.records).toBeGreaterThan(200);
    expect(v.records).toBeLessThan(270);
  }, 120_000);
});
