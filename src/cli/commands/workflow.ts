import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
// Types only: the CLI talks to the API, it does not load the workflows domain.
import type { WorkflowFinding, WorkflowSummary, WorkflowView } from '../../workflows/index.js';
import { ApiClient, CliError, resolveConnection, type GlobalOptions } from '../client.js';
import { EXIT } from '../exit-codes.js';
import { emit, table } from '../output.js';

const FINISHED = ['succeeded', 'failed', 'cancelled'];
const POLL_MS = 1_000;

function clientOf(options: GlobalOptions): ApiClient {
  const { url, key } = resolveConnection(options);
  return new ApiClient(url, key);
}

const workflowPath = (id: string) => `/api/v1/workflows/${encodeURIComponent(id)}`;

function readWorkflowFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Give the path of a workflow YAML file.`, EXIT.refused, 'file_unreadable');
  }
}

/** `FILE:12:9 steps.train.needs[0]: unknown step …`, one per line. */
function formatFindings(file: string, findings: WorkflowFinding[]): string {
  return findings.map((f) => `${file}${f.line === null ? '' : `:${f.line}:${f.column}`} ${f.path}: ${f.message}`).join('\n');
}

/** A refusal of the file by the server, restated with the file name in front of every finding. */
function withFileName(err: unknown, file: string): unknown {
  if (!(err instanceof CliError) || err.code !== 'workflow_invalid') return err;
  const findings = (err.details as { findings?: WorkflowFinding[] } | undefined)?.findings ?? [];
  const count = findings.length === 1 ? '1 error' : `${findings.length} errors`;
  return new CliError(`${file} has ${count}; fix them and run it again:\n${formatFindings(file, findings)}`, EXIT.refused, err.code, err.details);
}

function statusTable(view: WorkflowView): string {
  const rows = view.order.map((id) => {
    const step = view.steps[id]!;
    // A queued step with no job yet is waiting for its needs.
    return [id, step.uses, step.state === 'queued' && !step.job_id ? 'waiting' : step.state, step.job_id, step.needs.join(',') || null, step.reason];
  });
  return `Workflow ${view.id} (${view.name}): ${view.state}\n\n${table(['STEP', 'USES', 'STATE', 'JOB', 'NEEDS', 'REASON'], rows)}`;
}

function time(): string {
  return new Date().toISOString().slice(11, 19);
}

/** Polls the run until it ends, printing each step's changes (not with --json); the final view. */
async function followWorkflow(options: GlobalOptions, id: string): Promise<WorkflowView> {
  const client = clientOf(options);
  const seen = new Map<string, string>();
  for (;;) {
    const view = await client.request<WorkflowView>('GET', workflowPath(id));
    if (!options.json && !options.quiet) {
      for (const stepId of view.order) {
        const step = view.steps[stepId]!;
        const line = `${step.state}${step.job_id ? ` (job ${step.job_id})` : ''}${step.reason && step.state !== 'succeeded' ? `: ${step.reason}` : ''}`;
        if (seen.get(stepId) !== line && (seen.has(stepId) || step.state !== 'queued')) process.stdout.write(`${time()} ${stepId} ${line}\n`);
        seen.set(stepId, line);
      }
    }
    if (FINISHED.includes(view.state) && view.order.every((s) => view.steps[s]!.state !== 'running')) return view;
    await sleep(POLL_MS);
  }
}

/** Prints the final view; a run that did not succeed exits 1 (with --json, the view is the error's details). */
function finish(options: GlobalOptions, view: WorkflowView): void {
  if (view.state === 'succeeded') return emit(options, view, () => `Workflow ${view.id} succeeded.`);
  const bad = view.order.filter((id) => view.steps[id]!.state === 'failed').map((id) => `step ${id} failed: ${view.steps[id]!.reason ?? 'see its job'}`);
  throw new CliError(
    `Workflow ${view.id} ${view.state}${bad.length ? `:\n${bad.join('\n')}` : ''}\nRun the failed steps again with: crucible workflow retry ${view.id}`,
    EXIT.refused,
    `workflow_${view.state}`,
    view,
  );
}

export function registerWorkflow(program: Command, globals: () => GlobalOptions): void {
  const workflow = program
    .command('workflow')
    .description('Run YAML workflows (DAGs of jobs): run, validate, status, list, cancel, retry')
    .addHelpText(
      'after',
      '\nExamples:\n  $ crucible workflow validate examples/train-with-validation.yaml\n  $ crucible workflow run pipeline.yaml --wait\n  $ crucible workflow status wf_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n  $ crucible workflow retry wf_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n',
    );

  workflow
    .command('run')
    .description('Validate a workflow file and run it; --wait follows it to its end')
    .argument('<file>', 'the workflow YAML file')
    .option('--wait', 'follow the run until it ends; exit 1 when it failed or was cancelled')
    .addHelpText('after', '\nWith --json: {"id": ...} (with --wait: the final status).\n\nExamples:\n  $ crucible workflow run pipeline.yaml\n  $ crucible workflow run pipeline.yaml --wait\n')
    .action(async (file: string, options: { wait?: boolean }) => {
      const yaml = readWorkflowFile(file);
      let created: WorkflowView;
      try {
        created = await clientOf(globals()).request<WorkflowView>('POST', '/api/v1/workflows', { yaml });
      } catch (err) {
        throw withFileName(err, file);
      }
      if (!options.wait) {
        emit(globals(), { id: created.id }, () => `Workflow ${created.id} (${created.name}) is ${created.state} with ${created.order.length} steps. Check it with: crucible workflow status ${created.id}`);
        return;
      }
      if (!globals().json && !globals().quiet) process.stdout.write(`Workflow ${created.id} (${created.name}) started.\n`);
      finish(globals(), await followWorkflow(globals(), created.id));
    });

  workflow
    .command('validate')
    .description('Check a workflow file without running it: every error with its line:column; exit 1 when any')
    .argument('<file>', 'the workflow YAML file')
    .addHelpText('after', '\nExamples:\n  $ crucible workflow validate pipeline.yaml\n')
    .action(async (file: string) => {
      const yaml = readWorkflowFile(file);
      const result = await clientOf(globals()).request<{ valid: boolean; findings: WorkflowFinding[] }>('POST', '/api/v1/workflows/validate', { yaml });
      if (result.valid) {
        emit(globals(), result, () => `${file} is valid.`);
        return;
      }
      throw withFileName(new CliError('invalid', EXIT.refused, 'workflow_invalid', { findings: result.findings }), file);
    });

  workflow
    .command('status')
    .description("A run's graph: each step's state, job and why it was skipped, cancelled or failed")
    .argument('<id>', 'the workflow run id, as printed by crucible workflow run')
    .addHelpText('after', '\nWith --json: {"id", "state", "steps": {STEP: {"state", "job_id", ...}}}.\n\nExamples:\n  $ crucible workflow status wf_01JD0Z6T9W2Q4S8Y3M6N5P7R1K --json\n')
    .action(async (id: string) => {
      const view = await clientOf(globals()).request<WorkflowView>('GET', workflowPath(id));
      emit(globals(), view, () => statusTable(view));
    });

  workflow
    .command('list')
    .description('Workflow runs, newest first')
    .option('--state <state>', 'only runs in this state (queued, running, succeeded, failed, cancelled)')
    .addHelpText('after', '\nExamples:\n  $ crucible workflow list\n  $ crucible workflow list --state failed --json\n')
    .action(async (options: { state?: string }) => {
      const items = await clientOf(globals()).listAll<WorkflowSummary>(`/api/v1/workflows${options.state ? `?state=${encodeURIComponent(options.state)}` : ''}`);
      emit(globals(), { items }, () =>
        table(
          ['ID', 'NAME', 'STATE', 'STEPS', 'CREATED', 'FINISHED'],
          items.map((w) => [w.id, w.name, w.state, Object.entries(w.step_counts).map(([state, n]) => `${n} ${state}`).join(', '), w.created_at, w.finished_at]),
        ),
      );
    });

  workflow
    .command('cancel')
    .description('Cancel a run: its queued and running steps are cancelled, the rest never start')
    .argument('<id>', 'the workflow run id')
    .addHelpText('after', '\nExamples:\n  $ crucible workflow cancel wf_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n')
    .action(async (id: string) => {
      const view = await clientOf(globals()).request<WorkflowView>('POST', `${workflowPath(id)}/cancel`);
      emit(globals(), view, () => `Workflow ${view.id} is ${view.state}.`);
    });

  workflow
    .command('retry')
    .description('Run the failed and cancelled steps of a failed or cancelled run again, keeping the succeeded ones')
    .argument('<id>', 'the workflow run id')
    .option('--wait', 'follow the run until it ends; exit 1 when it failed or was cancelled')
    .addHelpText('after', '\nExamples:\n  $ crucible workflow retry wf_01JD0Z6T9W2Q4S8Y3M6N5P7R1K --wait\n')
    .action(async (id: string, options: { wait?: boolean }) => {
      const retried = await clientOf(globals()).request<WorkflowView>('POST', `${workflowPath(id)}/retry`);
      if (!options.wait) {
        emit(globals(), retried, () => `Workflow ${retried.id} is ${retried.state} again. Follow it with: crucible workflow status ${retried.id}`);
        return;
      }
      finish(globals(), await followWorkflow(globals(), id));
    });
}
