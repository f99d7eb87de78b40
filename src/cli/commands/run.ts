import type { Command } from 'commander';
// Types only: the CLI talks to the API, it does not load the tracking domain.
import type { RunComparison, RunView } from '../../tracking/schema.js';
import { CliError, clientFor, type GlobalOptions } from '../client.js';
import { EXIT } from '../exit-codes.js';
import { emit, table } from '../output.js';

const runPath = (id: string) => `/api/v1/runs/${encodeURIComponent(id)}`;

/** A number as people read it in a table: up to 6 significant digits. */
function num(value: number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function metricsSummary(run: RunView, max = 3): string {
  const entries = Object.entries(run.metrics);
  const shown = entries.slice(0, max).map(([name, m]) => `${name}=${num(m.value)}`);
  return shown.join(' ') + (entries.length > max ? ` (+${entries.length - max})` : '');
}

/** The compare report as `crucible run compare` prints it: params that differ, then metrics. */
export function formatComparison(result: RunComparison, metric?: string): string {
  const heads = result.runs.map((r) => (r.name === r.id ? r.id : `${r.name} (${r.id})`));
  const ids = result.runs.map((r) => r.id);
  const parts: string[] = [];
  if (result.params.differing.length > 0) {
    parts.push(table(['PARAM', ...heads], result.params.differing.map((d) => [d.key, ...ids.map((id) => d.values[id] ?? null)])));
  } else {
    parts.push('No params differ.');
  }
  const same = Object.entries(result.params.same);
  if (same.length > 0) parts.push(`Same in all: ${same.map(([k, v]) => `${k}=${v}`).join(', ')}`);

  if (metric !== undefined) {
    const series = result.metrics.find((m) => m.name === metric);
    if (!series) throw new CliError(`None of these runs logged a metric "${metric}"; they have: ${result.metrics.map((m) => m.name).join(', ') || 'none'}.`, EXIT.refused, 'metric_not_found');
    parts.push(table(['STEP', ...heads], series.steps.map((step, i) => [step, ...ids.map((id) => num(series.values[id]![i]))])));
  } else if (result.metrics.length > 0) {
    // Each run's last logged value per metric, and the step it was logged at.
    const rows = result.metrics.map((m) => [
      m.name,
      ...ids.map((id) => {
        const values = m.values[id]!;
        for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return `${num(values[i])} @${m.steps[i]}`;
        return null;
      }),
    ]);
    parts.push(table(['METRIC (last @step)', ...heads], rows));
  } else {
    parts.push('No metrics logged.');
  }
  return parts.join('\n\n');
}

export function registerRun(program: Command, globals: () => GlobalOptions): void {
  const run = program
    .command('run')
    .description('Tracked runs: params, metrics and artifacts of training jobs and outside scripts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ crucible run list --tag sweep=lr\n  $ crucible run show run_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n  $ crucible run compare run_01JD0Z6T9W2Q4S8Y3M6N5P7R1K run_01JD0Z7A2B3C4D5E6F7G8H9J0K\n',
    );

  run
    .command('list')
    .description('List runs, newest first')
    .option('--job <id>', 'only runs produced by this job')
    .option('--tag <key[=value]>', 'only runs with this tag (and value)')
    .option('--status <status>', 'only runs in this status (running, finished, failed, killed; several comma-separated)')
    .option('--limit <n>', 'at most this many (default: all)')
    .addHelpText('after', '\nExamples:\n  $ crucible run list\n  $ crucible run list --status running --json\n  $ crucible run list --tag team=nlp --limit 20\n')
    .action(async (options: { job?: string; tag?: string; status?: string; limit?: string }) => {
      const client = clientFor(globals());
      const query = new URLSearchParams();
      if (options.job) query.set('job', options.job);
      if (options.tag) query.set('tag', options.tag);
      if (options.status) query.set('status', options.status);
      let items: RunView[];
      if (options.limit !== undefined) {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError('--limit must be a whole number from 1 to 1000.', EXIT.usage, 'usage');
        query.set('limit', String(limit));
        items = (await client.request<{ items: RunView[] }>('GET', `/api/v1/runs?${query}`)).items;
      } else {
        items = await client.listAll<RunView>(`/api/v1/runs${query.size ? `?${query}` : ''}`);
      }
      emit(globals(), { items }, () =>
        items.length === 0
          ? 'No runs.'
          : table(
              ['ID', 'NAME', 'STATUS', 'JOB', 'STARTED', 'ENDED', 'METRICS'],
              items.map((r) => [r.id, r.name, r.status, r.job_id, r.start_time, r.end_time, metricsSummary(r)]),
            ),
      );
    });

  run
    .command('show')
    .description('A run: status, params, tags, latest metrics, artifacts')
    .argument('<id>', 'the run id, as shown by crucible run list')
    .addHelpText('after', '\nExamples:\n  $ crucible run show run_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n  $ crucible run show run_01JD0Z6T9W2Q4S8Y3M6N5P7R1K --json\n')
    .action(async (id: string) => {
      const shown = await clientFor(globals()).request<RunView>('GET', runPath(id));
      emit(globals(), shown, () => {
        const parts = [
          table(
            ['FIELD', 'VALUE'],
            [
              ['id', shown.id],
              ['name', shown.name],
              ['status', shown.status],
              ['job', shown.job_id],
              ['started', shown.start_time],
              ['ended', shown.end_time],
              ['created by', shown.created_by],
            ],
          ),
        ];
        const params = Object.entries(shown.params);
        if (params.length > 0) parts.push(table(['PARAM', 'VALUE'], params));
        const tags = Object.entries(shown.tags);
        if (tags.length > 0) parts.push(table(['TAG', 'VALUE'], tags));
        const metrics = Object.entries(shown.metrics);
        if (metrics.length > 0) parts.push(table(['METRIC', 'LAST', 'STEP', 'AT'], metrics.map(([name, m]) => [name, num(m.value), m.step, m.timestamp])));
        if (shown.artifacts.length > 0) parts.push(table(['ARTIFACT', 'SIZE', 'SHA256'], shown.artifacts.map((a) => [a.name, a.size, a.sha256])));
        return parts.join('\n\n');
      });
    });

  run
    .command('compare')
    .description('Compare runs: params that differ, and metrics aligned by step')
    .argument('<ids...>', 'two or more run ids')
    .option('--metric <name>', 'print this metric step by step (one row per step, one column per run)')
    .addHelpText(
      'after',
      '\nWithout --metric, each metric shows every run’s last value and its step. With --json, the output is the API’s\n' +
        'compare result: for each metric, steps[] and per run values[] (null where a run has no value at a step).\n\n' +
        'Examples:\n  $ crucible run compare run_01JD0Z6T9W2Q4S8Y3M6N5P7R1K run_01JD0Z7A2B3C4D5E6F7G8H9J0K\n' +
        '  $ crucible run compare run_01JD0Z6T9W2Q4S8Y3M6N5P7R1K run_01JD0Z7A2B3C4D5E6F7G8H9J0K --metric loss\n' +
        '  $ crucible run compare run_01JD0Z6T9W2Q4S8Y3M6N5P7R1K run_01JD0Z7A2B3C4D5E6F7G8H9J0K --json\n',
    )
    .action(async (ids: string[], options: { metric?: string }) => {
      if (ids.length < 2) throw new CliError('Give at least two run ids to compare.', EXIT.usage, 'usage');
      const query = new URLSearchParams({ ids: ids.join(',') });
      if (options.metric) query.set('names', options.metric);
      const result = await clientFor(globals()).request<RunComparison>('GET', `/api/v1/runs/compare?${query}`);
      emit(globals(), result, () => formatComparison(result, options.metric));
    });
}
