import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
// Types only: the CLI talks to the API, it does not load the datasets domain.
import type { AddResult } from '../../datasets/service.js';
import type { Dataset, DatasetReport, DatasetVersion, DiffResult, RowsResult } from '../../datasets/schema.js';
import type { RecipeCheck } from '../../datasets/service.js';
import type { RecipeFinding } from '../../datasets/transforms/recipe.js';
import { ApiClient, CliError, resolveConnection, type GlobalOptions } from '../client.js';
import { EXIT, exitCodeForStatus } from '../exit-codes.js';
import { emit, table } from '../output.js';
import { waitForJob } from '../wait-for-job.js';

const FORMATS = ['jsonl', 'csv', 'tsv', 'parquet', 'text', 'zip'];

/** `name@3` → its versions route; `name` → latest. */
function versionPath(ref: string): string {
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const version = at < 0 ? 'latest' : ref.slice(at + 1);
  if (!name || !version) throw new CliError(`"${ref}" is not a dataset REF: write name@VERSION (e.g. corpus@3) or name.`, EXIT.usage, 'usage_error');
  return `/api/v1/datasets/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
}

function intOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a non-negative integer, not "${value}".`, EXIT.usage, 'usage_error');
  return Number(value);
}

/** Streams bytes to POST /api/v1/uploads; returns the blob's sha256. */
async function upload(options: GlobalOptions, body: Readable, size?: number): Promise<string> {
  const { url, key } = resolveConnection(options);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (size !== undefined) headers['content-length'] = String(size);
  let response: Response;
  try {
    response = await fetch(`${url}/api/v1/uploads`, { method: 'POST', headers, body: Readable.toWeb(body) as ReadableStream, duplex: 'half' } as RequestInit);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError(`No Crucible server answers at ${url} (${cause}). Start one with: crucible start`, EXIT.unavailable, 'server_unreachable');
  }
  const payload = (await response.json().catch(() => ({}))) as { sha256?: string; error?: { code?: string; message?: string } };
  if (!response.ok) throw new CliError(payload.error?.message ?? `Upload failed: ${response.status}.`, exitCodeForStatus(response.status), payload.error?.code);
  return payload.sha256!;
}

/** A local folder of .txt/.md files, as JSONL records {path, text} (one per file). */
function folderAsJsonl(dir: string, textField: string): Readable {
  return Readable.from(
    (async function* () {
      const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && /\.(txt|md|markdown|text)$/i.test(d.name));
      const files = entries.map((d) => path.relative(dir, path.join(d.parentPath, d.name))).sort();
      for (const file of files) yield `${JSON.stringify({ path: file, [textField]: await readFile(path.join(dir, file), 'utf8') })}\n`;
    })(),
  );
}

function summary(v: DatasetVersion): string {
  return [
    `${v.ref}  ${v.records} records, ${v.format} (${v.source_name ?? '-'}, ${v.source_size} bytes → Parquet ${v.parquet_size} bytes)`,
    `text field: ${v.text_field}${v.skipped_lines ? `; ${v.skipped_lines} malformed lines skipped` : ''}${v.parent ? `; parent ${v.parent}` : ''}`,
    ...(v.recipe ? [`recipe: ${v.recipe.sha256.slice(0, 12)}${v.recipe.name ? ` (${v.recipe.name})` : ''}: ${v.recipe.steps.join(' → ')}`] : []),
    `columns: ${v.columns.map((c) => `${c.name} ${c.type}${c.nulls ? ` (${c.nulls} null)` : ''}`).join(', ')}`,
    `created ${v.created_at}`,
  ].join('\n');
}

function readRecipeFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Give the path of a recipe YAML file (see docs/formats/transform-recipe.md).`, EXIT.refused, 'file_unreadable');
  }
}

/** `FILE:4:5 error steps[1].dedupe: unknown step … / fix: …`, as `crucible workflow validate` prints them. */
function formatRecipeFindings(file: string, findings: RecipeFinding[]): string {
  return findings.map((f) => `${file}${f.line === null ? '' : `:${f.line}:${f.column}`} ${f.severity} ${f.path}: ${f.message}\n  fix: ${f.fix}`).join('\n');
}

function recipeRefused(file: string, findings: RecipeFinding[], details: unknown): CliError {
  const errors = findings.filter((f) => f.severity === 'error').length;
  return new CliError(`${file} has ${errors === 1 ? '1 error' : `${errors} errors`}; fix them and run it again:\n${formatRecipeFindings(file, findings)}`, EXIT.refused, 'dataset_recipe_invalid', details);
}

function rowsTable(result: RowsResult): string {
  const names = result.columns.map((c) => c.name);
  const cell = (v: unknown) => {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s === undefined ? '' : s.length > 60 ? `${s.slice(0, 57).replace(/\s+/g, ' ')}...` : s.replace(/\s+/g, ' ');
  };
  return table(names, result.rows.map((r) => names.map((n) => cell(r[n])))) + (result.truncated ? '\n(more rows: raise --limit)' : '');
}

export function registerDataset(program: Command, globals: () => GlobalOptions): void {
  const client = () => {
    const { url, key } = resolveConnection(globals());
    return new ApiClient(url, key);
  };
  const dataset = program
    .command('dataset')
    .description('Datasets: add files as immutable versions, inspect their profile and validation report, query, diff, export')
    .addHelpText(
      'after',
      '\nA REF is name@VERSION (corpus@3) or name (the latest version).\n\nExamples:\n  $ crucible dataset add data.jsonl --name corpus --wait\n  $ crucible dataset report corpus --json\n  $ crucible dataset transform corpus@1 --recipe clean.yaml --wait\n  $ crucible dataset query corpus@1 "SELECT count(*) FROM data WHERE length(text) < 20"\n',
    );

  dataset
    .command('add')
    .description('Upload a file (JSONL, CSV/TSV, Parquet, text, .zip of .txt/.md, or a folder) as a new version')
    .argument('<file>', 'the file or folder to add')
    .requiredOption('--name <name>', 'dataset name (lowercase letters, digits, . _ -)')
    .option('--format <format>', `one of ${FORMATS.join(', ')} (default: from the file name)`)
    .option('--text-field <field>', 'the column training reads', 'text')
    .option('--skip-bad-lines', 'skip malformed JSONL lines (counted) instead of refusing the file')
    .option('--server-path', 'FILE is a path on the server, not uploaded (admin)')
    .option('--wait', 'wait until the version and its report exist')
    .addHelpText(
      'after',
      '\nAdding the same content again gives the same version. Without --wait, prints the ingest job id.\n\nExamples:\n  $ crucible dataset add data.jsonl --name corpus --wait\n  $ crucible dataset add chats.jsonl --name chats --text-field content --skip-bad-lines --wait\n  $ crucible dataset add notes/ --name notes --wait          # one record per .txt/.md file\n  $ crucible dataset add /srv/data/big.parquet --name big --server-path\n',
    )
    .action(async (file: string, opts: { name: string; format?: string; textField: string; skipBadLines?: boolean; serverPath?: boolean; wait?: boolean }) => {
      const g = globals();
      if (opts.format !== undefined && !FORMATS.includes(opts.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, not "${opts.format}".`, EXIT.usage, 'usage_error');
      const body: Record<string, unknown> = { name: opts.name, text_field: opts.textField, skip_bad_lines: opts.skipBadLines === true, ...(opts.format ? { format: opts.format } : {}) };
      if (opts.serverPath) {
        body.path = path.resolve(file);
      } else {
        let info;
        try {
          info = statSync(file);
        } catch {
          throw new CliError(`${file} does not exist.`, EXIT.refused, 'dataset_source_missing');
        }
        if (info.isDirectory()) {
          body.upload = await upload(g, folderAsJsonl(file, opts.textField));
          body.filename = `${path.basename(path.resolve(file))}.jsonl`;
          body.format = 'jsonl';
        } else {
          body.upload = await upload(g, createReadStream(file), info.size);
          body.filename = path.basename(file);
        }
      }
      const api = client();
      const added = await api.request<AddResult>('POST', '/api/v1/datasets', body);
      let version = added.version;
      if (!version && opts.wait) {
        const job = await waitForJob(api, g, added.job!.id);
        const ref = (job.result as { ref: string }).ref;
        version = await api.request<DatasetVersion>('GET', versionPath(ref));
      }
      if (version) {
        emit(g, version, () => `${added.job ? 'Added' : 'Already there:'} ${summary(version!)}\nReport: crucible dataset report ${version!.ref}`);
      } else {
        emit(g, added, () => `Ingesting as job ${added.job!.id}. Follow it with: crucible job logs ${added.job!.id} --follow`);
      }
    });

  dataset
    .command('transform')
    .description('Apply a YAML recipe (clean, dedup, PII, filter, template, chunk, split) to a version, making a new version')
    .argument('<ref>', 'the parent: name@VERSION or name')
    .requiredOption('--recipe <file>', 'the recipe YAML file (docs/formats/transform-recipe.md)')
    .option('--name <name>', 'the dataset that receives the new version (default: the parent\'s)')
    .option('--wait', 'wait until the new version and its report exist')
    .option('--dry-run', 'only check the recipe against the version; submit nothing')
    .addHelpText(
      'after',
      '\nThe recipe is checked against the version first; any error refuses it with FILE:LINE:COLUMN, and nothing runs.\n' +
        'The same recipe on the same version gives the same version. Without --wait, prints the transform job id.\n\n' +
        'Examples:\n  $ crucible dataset transform corpus@1 --recipe examples/recipes/clean-dedup-recipe.yaml --wait\n  $ crucible dataset transform chats --recipe chatml.yaml --name chats-sft --wait --json\n  $ crucible dataset transform corpus --recipe clean.yaml --dry-run\n',
    )
    .action(async (ref: string, opts: { recipe: string; name?: string; wait?: boolean; dryRun?: boolean }) => {
      const g = globals();
      const recipe = readRecipeFile(opts.recipe);
      const api = client();
      const body = { recipe, recipe_name: path.basename(opts.recipe), ...(opts.name ? { name: opts.name } : {}), ...(opts.dryRun ? { dry_run: true } : {}) };
      let result: AddResult | RecipeCheck;
      try {
        result = await api.request<AddResult | RecipeCheck>('POST', `${versionPath(ref)}/transform`, body);
      } catch (err) {
        if (err instanceof CliError && err.code === 'dataset_recipe_invalid') throw recipeRefused(opts.recipe, (err.details as { findings?: RecipeFinding[] } | undefined)?.findings ?? [], err.details);
        throw err;
      }
      if ('valid' in result) {
        if (!result.valid) throw recipeRefused(opts.recipe, result.findings, result);
        const check = result;
        emit(g, check, () => `${opts.recipe} is valid for ${ref} (recipe ${check.recipe_sha256?.slice(0, 12)}). Run it without --dry-run.`);
        return;
      }
      const added = result;
      let version = added.version;
      if (!version && opts.wait) {
        const job = await waitForJob(api, g, added.job!.id);
        version = await api.request<DatasetVersion>('GET', versionPath((job.result as { ref: string }).ref));
      }
      if (version) {
        emit(g, version, () => `${added.job ? 'Made' : 'Already there:'} ${summary(version!)}\nReport: crucible dataset report ${version!.ref}`);
      } else {
        emit(g, added, () => `Transforming as job ${added.job!.id}. Follow it with: crucible job logs ${added.job!.id} --follow`);
      }
    });

  dataset
    .command('validate-recipe')
    .description('Check a transform recipe without running it: every error with its line:column and a fix; exit 1 when any')
    .argument('<file>', 'the recipe YAML file')
    .option('--dataset <ref>', 'also check field names against this version\'s columns')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset validate-recipe examples/recipes/clean-dedup-recipe.yaml\n  $ crucible dataset validate-recipe clean.yaml --dataset corpus@1 --json\n')
    .action(async (file: string, opts: { dataset?: string }) => {
      const recipe = readRecipeFile(file);
      const result = await client().request<RecipeCheck>('POST', '/api/v1/datasets/recipes/validate', { recipe, ...(opts.dataset ? { dataset: opts.dataset } : {}) });
      if (!result.valid) throw recipeRefused(file, result.findings, result);
      emit(globals(), result, () => `${file} is valid${opts.dataset ? ` for ${opts.dataset}` : ' (field names are checked when given --dataset REF)'}.`);
    });

  dataset
    .command('recipe')
    .description('The recipe that made a version (its lineage: parent, recipe hash, the YAML as written)')
    .argument('<ref>', 'name@VERSION or name')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset recipe corpus@2\n  $ crucible dataset recipe corpus@2 --json | jq .recipe.steps\n')
    .action(async (ref: string) => {
      const api = client();
      const v = await api.request<DatasetVersion>('GET', versionPath(ref));
      const recipe = await api.request<{ sha256: string; name: string | null; source: string }>('GET', `${versionPath(ref)}/recipe`);
      emit(globals(), { ...recipe, ref: v.ref, parent: v.parent }, () => `# ${v.ref} = ${v.parent} + recipe ${recipe.sha256}${recipe.name ? ` (${recipe.name})` : ''}\n${recipe.source.trimEnd()}`);
    });

  dataset
    .command('list')
    .description('List datasets')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset list\n  $ crucible dataset list --json\n')
    .action(async () => {
      const items = await client().listAll<Dataset>('/api/v1/datasets');
      emit(globals(), { items }, () => table(['NAME', 'LATEST', 'VERSIONS', 'CREATED'], items.map((d) => [d.name, d.latest_version, d.versions, d.created_at])));
    });

  dataset
    .command('show')
    .description('One version: source, sizes, records, columns')
    .argument('<ref>', 'name@VERSION or name')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset show corpus\n  $ crucible dataset show corpus@2 --json\n')
    .action(async (ref: string) => {
      const v = await client().request<DatasetVersion>('GET', versionPath(ref));
      emit(globals(), v, () => summary(v));
    });

  dataset
    .command('versions')
    .description("A dataset's versions, newest first")
    .argument('<name>', 'dataset name')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset versions corpus\n')
    .action(async (name: string) => {
      const items = await client().listAll<DatasetVersion>(`/api/v1/datasets/${encodeURIComponent(name)}/versions`);
      emit(globals(), { items }, () => table(['REF', 'RECORDS', 'FORMAT', 'SOURCE', 'PARENT', 'CREATED'], items.map((v) => [v.ref, v.records, v.format, v.source_name, v.parent, v.created_at])));
    });

  dataset
    .command('preview')
    .description('Rows of a version')
    .argument('<ref>', 'name@VERSION or name')
    .option('--limit <n>', 'rows (default 20, at most 1000)')
    .option('--offset <n>', 'rows to skip (default 0)')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset preview corpus --limit 5\n  $ crucible dataset preview corpus@2 --offset 100 --limit 10 --json\n')
    .action(async (ref: string, opts: { limit?: string; offset?: string }) => {
      const q = new URLSearchParams();
      const limit = intOption(opts.limit, '--limit');
      const offset = intOption(opts.offset, '--offset');
      if (limit !== undefined) q.set('limit', String(limit));
      if (offset !== undefined) q.set('offset', String(offset));
      const rows = await client().request<RowsResult & { offset: number; total: number }>('GET', `${versionPath(ref)}/preview?${q}`);
      emit(globals(), rows, () => `${rowsTable({ ...rows, truncated: false })}\nrows ${rows.offset}-${rows.offset + rows.rows.length - 1} of ${rows.total}`);
    });

  dataset
    .command('report')
    .description('Profile and validation report of a version')
    .argument('<ref>', 'name@VERSION or name')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset report corpus\n  $ crucible dataset report corpus@2 --json | jq .findings\n')
    .action(async (ref: string) => {
      const report = await client().request<DatasetReport>('GET', `${versionPath(ref)}/report`);
      emit(globals(), report, () => humanReport(report));
    });

  dataset
    .command('query')
    .description('Read-only SQL over a version: one SELECT, the table is named "data"')
    .argument('<ref>', 'name@VERSION or name')
    .argument('<sql>', 'a single SELECT statement')
    .option('--limit <n>', 'rows at most (default 1000)')
    .option('--timeout <ms>', 'stop the query after this long (default 30000)')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset query corpus "SELECT count(*) FROM data"\n  $ crucible dataset query corpus@1 "SELECT text FROM data WHERE length(text) > 1000" --limit 10 --json\n')
    .action(async (ref: string, sql: string, opts: { limit?: string; timeout?: string }) => {
      const limit = intOption(opts.limit, '--limit');
      const timeout = intOption(opts.timeout, '--timeout');
      const result = await client().request<RowsResult>('POST', `${versionPath(ref)}/query`, { sql, ...(limit ? { limit } : {}), ...(timeout ? { timeout_ms: timeout } : {}) });
      emit(globals(), result, () => rowsTable(result));
    });

  dataset
    .command('diff')
    .description('Rows added and removed between two versions (by row hash)')
    .argument('<from>', 'REF')
    .argument('<to>', 'REF')
    .option('--key <column>', 'match rows by this column to count changed rows')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset diff corpus@1 corpus@2\n  $ crucible dataset diff corpus@1 corpus@2 --key id --json\n')
    .action(async (from: string, to: string, opts: { key?: string }) => {
      const q = new URLSearchParams({ to, ...(opts.key ? { key: opts.key } : {}) });
      const d = await client().request<DiffResult>('GET', `${versionPath(from)}/diff?${q}`);
      emit(globals(), d, () => `${d.from} → ${d.to}: +${d.added} added, -${d.removed} removed${d.changed === null ? '' : `, ~${d.changed} changed`}, ${d.unchanged} unchanged`);
    });

  dataset
    .command('export')
    .description('Write a version to a file, as JSONL or Parquet')
    .argument('<ref>', 'name@VERSION or name')
    .requiredOption('--out <file>', 'where to write it')
    .option('--format <format>', 'jsonl or parquet (default: from --out, else jsonl)')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset export corpus@2 --out corpus.jsonl\n  $ crucible dataset export corpus --out corpus.parquet\n')
    .action(async (ref: string, opts: { out: string; format?: string }) => {
      const format = opts.format ?? (opts.out.endsWith('.parquet') ? 'parquet' : 'jsonl');
      if (!['jsonl', 'parquet'].includes(format)) throw new CliError(`--format must be jsonl or parquet, not "${format}".`, EXIT.usage, 'usage_error');
      const { url, key } = resolveConnection(globals());
      const response = await fetch(`${url}${versionPath(ref)}/download?format=${format}`, { headers: key ? { authorization: `Bearer ${key}` } : {} }).catch((err: Error) => {
        throw new CliError(`No Crucible server answers at ${url} (${err.message}). Start one with: crucible start`, EXIT.unavailable, 'server_unreachable');
      });
      if (!response.ok) {
        const payload = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
        throw new CliError(payload.error?.message ?? `Export failed: ${response.status}.`, exitCodeForStatus(response.status), payload.error?.code);
      }
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(opts.out));
      const bytes = statSync(opts.out).size;
      emit(globals(), { ref, format, out: opts.out, bytes }, () => `Wrote ${ref} to ${opts.out} (${format}, ${bytes} bytes).`);
    });

  dataset
    .command('delete')
    .description('Delete one version (explicit name@VERSION); refused while other versions depend on it')
    .argument('<ref>', 'name@VERSION')
    .addHelpText('after', '\nExamples:\n  $ crucible dataset delete corpus@1\n')
    .action(async (ref: string) => {
      const v = await client().request<DatasetVersion>('DELETE', versionPath(ref));
      emit(globals(), v, () => `Deleted ${v.ref}.`);
    });
}

function humanReport(r: DatasetReport): string {
  const p = r.profile as { bytes?: { source: number; parquet: number }; text?: { chars: { mean: number; p50: number; p99: number; max: number }; tokens_approx: { mean: number }; total_chars: number; non_ascii_share: number; scripts: Record<string, number> } | null };
  const lines = [`${r.dataset}@${r.version}: ${r.records} records${p.bytes ? `, ${p.bytes.source} bytes (Parquet ${p.bytes.parquet})` : ''}`];
  if (p.text) {
    const t = p.text;
    lines.push(`text: ${t.total_chars} chars; per record mean ${t.chars.mean}, median ${t.chars.p50}, p99 ${t.chars.p99}, max ${t.chars.max}; ~${t.tokens_approx.mean} tokens mean`);
    lines.push(`non-ASCII records: ${(t.non_ascii_share * 100).toFixed(1)}%${Object.keys(t.scripts).length ? ` (${Object.entries(t.scripts).map(([s, n]) => `${s} ${n}`).join(', ')})` : ''}`);
  }
  if (r.findings.length === 0) return [...lines, 'No findings.'].join('\n');
  lines.push('', table(['SEVERITY', 'RULE', 'COUNT', 'EXAMPLES', 'FIX'], r.findings.map((f) => [f.severity, f.rule, f.count, f.examples.slice(0, 3).join(', '), f.fix])));
  return lines.join('\n');
}
