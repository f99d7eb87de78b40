/**
 * `crucible dataset …` against a real `crucible start` (embedded workers run the dataset.ingest
 * job): add --wait, the same content again, a refused file, report/query/preview/diff/export.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCliServer, stopCliServer, type StartedServer } from '../support/cli.js';

let home: string;
let server: StartedServer;
let env: Record<string, string>;

const cli = (...args: string[]) => runCli(args, { cwd: home, env });
const corpus = (n: number, edit = -1) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, text: `Entry ${i}: ${i === edit ? 'edited' : 'original'} words about topic ${i % 7}, contact ops${i % 40 === 0 ? `${i}@example.org` : ''}.` })).join('\n') + '\n';

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), 'crucible-dscli-'));
  env = { CRUCIBLE_HOME: home, CRUCIBLE_WORKER_CONCURRENCY: '1', CRUCIBLE_WORKER_POLL_MS: '100' };
  server = await startCliServer({ cwd: home, env });
  env.CRUCIBLE_URL = server.url;
}, 60_000);
afterAll(async () => {
  if (server) await stopCliServer(server);
  rmSync(home, { recursive: true, force: true });
});

describe('crucible dataset', () => {
  it('adds a file with --wait, and the same content again gives the same version', () => {
    writeFileSync(path.join(home, 'a.jsonl'), corpus(300));
    const added = cli('dataset', 'add', 'a.jsonl', '--name', 'corpus', '--wait', '--json');
    expect(added.code).toBe(0);
    expect(added.stderr).toMatch(/created corpus@1: 300 records/); // progress goes to stderr, stdout holds only the JSON
    expect(JSON.parse(added.stdout)).toMatchObject({ ref: 'corpus@1', records: 300, format: 'jsonl' });
    const again = cli('dataset', 'add', 'a.jsonl', '--name', 'corpus', '--wait', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ ref: 'corpus@1' });
    writeFileSync(path.join(home, 'b.jsonl'), corpus(310, 5));
    expect(JSON.parse(cli('dataset', 'add', 'b.jsonl', '--name', 'corpus', '--wait', '--json').stdout)).toMatchObject({ ref: 'corpus@2', records: 310 });
  }, 120_000);

  it('refuses a malformed line with its number and exit code 1, and keeps nothing', () => {
    const lines = corpus(50).split('\n');
    lines[6] = '{"text": "no end';
    writeFileSync(path.join(home, 'bad.jsonl'), lines.join('\n'));
    const bad = cli('dataset', 'add', 'bad.jsonl', '--name', 'broken', '--wait');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Line 7 of bad\.jsonl is not a valid JSON object .*--skip-bad-lines/);
    expect(cli('dataset', 'show', 'broken').code).toBe(1);
    const skipped = cli('dataset', 'add', 'bad.jsonl', '--name', 'broken', '--skip-bad-lines', '--wait', '--json');
    expect(JSON.parse(skipped.stdout)).toMatchObject({ ref: 'broken@1', records: 49, skipped_lines: 1 });
  }, 120_000);

  it('reports, previews, queries, diffs, lists and exports', () => {
    const report = JSON.parse(cli('dataset', 'report', 'corpus@1', '--json').stdout);
    expect(Object.keys(report).sort()).toEqual(['dataset', 'findings', 'profile', 'records', 'version']);
    expect(report.findings.find((f: { rule: string }) => f.rule === 'pii.email')).toMatchObject({ count: 8, severity: 'warning' });
    const human = cli('dataset', 'report', 'corpus');
    expect(human.stdout).toContain('corpus@2: 310 records');
    expect(human.stdout).toContain('pii.email');
    const preview = JSON.parse(cli('dataset', 'preview', 'corpus@1', '--limit', '2', '--offset', '5', '--json').stdout);
    expect(preview.rows.map((r: { id: string }) => Number(r.id))).toEqual([5, 6]);
    const query = JSON.parse(cli('dataset', 'query', 'corpus', 'SELECT count(*) AS n FROM data', '--json').stdout);
    expect(query.rows).toEqual([{ n: '310' }]);
    const refused = cli('dataset', 'query', 'corpus', 'DELETE FROM data');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Only SELECT statements are allowed/);
    const diff = JSON.parse(cli('dataset', 'diff', 'corpus@1', 'corpus@2', '--json').stdout);
    expect(diff).toMatchObject({ added: 11, removed: 1 });
    expect(cli('dataset', 'diff', 'corpus@1', 'corpus@2').stdout).toContain('+11 added, -1 removed');
    expect(JSON.parse(cli('dataset', 'versions', 'corpus', '--json').stdout).items).toHaveLength(2);
    expect(cli('dataset', 'list').stdout).toMatch(/corpus\s+2\s+2/);
    const out = path.join(home, 'out.jsonl');
    expect(cli('dataset', 'export', 'corpus@1', '--out', out).code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(300);
  }, 120_000);
});
