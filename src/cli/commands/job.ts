import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
// Types only: the CLI talks to the API, it does not load the jobs domain.
import type { JobEventView, JobView } from '../../jobs/index.js';
import { ApiClient, CliError, resolveConnection, type GlobalOptions } from '../client.js';
import { EXIT, exitCodeForStatus } from '../exit-codes.js';
import { emit, table } from '../output.js';

const FINAL_STATES = ['succeeded', 'failed', 'cancelled'];
/** `logs --follow` gives up after the server has been unreachable this long. */
const RECONNECT_WINDOW_MS = 120_000;

function clientOf(options: GlobalOptions): { client: ApiClient; url: string; key: string | undefined } {
  const { url, key } = resolveConnection(options);
  return { client: new ApiClient(url, key), url, key };
}

const jobPath = (id: string) => `/api/v1/jobs/${encodeURIComponent(id)}`;

function time(at: string): string {
  return at.slice(11, 19);
}

/** One line per event, as `crucible job logs` prints it. */
export function formatEvent(event: JobEventView): string {
  const at = time(event.at);
  switch (event.kind) {
    case 'log':
      return `${at} ${(event.level ?? 'info').toUpperCase().padEnd(5)} ${event.message ?? ''}`;
    case 'metric':
      return `${at} METRIC ${event.name}=${event.value} step=${event.step}`;
    case 'progress':
      return `${at} PROGRESS ${event.done}${event.total === undefined ? '' : `/${event.total}`}${event.message ? ` ${event.message}` : ''}`;
    case 'state': {
      const attempt = event.attempt === undefined ? '' : ` (attempt ${event.attempt})`;
      const error = event.error ? `: ${event.error.message}` : '';
      return `${at} STATE ${event.state}${attempt}${error}`;
    }
  }
}

function print(options: GlobalOptions, event: JobEventView): void {
  process.stdout.write(`${options.json ? JSON.stringify(event) : formatEvent(event)}\n`);
}

/** Parses a Server-Sent Events body, calling `onEvent` for each `data:` event; returns when the server ends it. */
async function readEventStream(body: ReadableStream<Uint8Array>, onEvent: (id: string | undefined, data: string, event: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) onEvent(id, data.join('\n'), event);
    }
  }
}

/**
 * Follows a job's events over SSE until the job ends, printing each (one JSON line each with --json),
 * and returns the finished job. A dropped connection (server restarted, network) is retried with
 * backoff, resuming with Last-Event-ID, so nothing is printed twice or skipped. For `--wait` flags.
 * @example const job = await followJob(globals(), id); // then exit by job.state
 */
export async function followJob(options: GlobalOptions, id: string, afterSeq = 0): Promise<JobView> {
  const { client, url, key } = clientOf(options);
  let last = afterSeq;
  let unreachableSince: number | undefined;
  for (let attempt = 0; ; attempt++) {
    let response: Response | undefined;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (key) headers.authorization = `Bearer ${key}`;
      if (last > 0) headers['last-event-id'] = String(last);
      response = await fetch(`${url}${jobPath(id)}/events`, { headers });
      if (!response.ok) {
        const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
        // A server that is starting or draining answers 503: wait for it like for a dropped connection.
        if (response.status !== 503) {
          throw new CliError(body?.error?.message ?? `The server answered ${response.status}.`, exitCodeForStatus(response.status), body?.error?.code);
        }
      } else {
        unreachableSince = undefined;
        attempt = 0;
        await readEventStream(response.body!, (eventId, data, event) => {
          if (event === 'error') return;
          const parsed = JSON.parse(data) as JobEventView;
          if (parsed.seq <= last) return;
          last = parsed.seq;
          print(options, parsed);
        });
        // The server ends the stream once the job is over, and also when it shuts down: ask which.
        const job = await client.request<JobView>('GET', jobPath(id));
        if (FINAL_STATES.includes(job.state)) return job;
      }
    } catch (err) {
      if (err instanceof CliError && err.code !== 'server_unreachable') throw err;
    }
    unreachableSince ??= Date.now();
    if (Date.now() - unreachableSince > RECONNECT_WINDOW_MS) {
      throw new CliError(`Lost the event stream of job ${id} and could not reconnect to ${url} for ${RECONNECT_WINDOW_MS / 1000} s.`, EXIT.unavailable, 'server_unreachable');
    }
    if (!options.quiet && !options.json) process.stderr.write(`Connection to ${url} lost; reconnecting from event ${last}…\n`);
    await sleep(Math.min(250 * 2 ** attempt, 5_000));
  }
}

function outcome(job: JobView): void {
  if (job.state === 'succeeded') return;
  const reason = job.error ? `: ${job.error.message}` : '';
  throw new CliError(`Job ${job.id} ${job.state}${reason}`, EXIT.refused, `job_${job.state}`);
}

export function registerJob(program: Command, globals: () => GlobalOptions): void {
  const job = program
    .command('job')
    .description('Inspect and control jobs: list, show, logs, cancel, retry')
    .addHelpText(
      'after',
      '\nExamples:\n  $ crucible job list --state running\n  $ crucible job show job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n  $ crucible job logs job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K --follow\n  $ crucible job cancel job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n',
    );

  job
    .command('list')
    .description('List jobs, newest first')
    .option('--state <state>', 'only jobs in this state (queued, running, retrying, succeeded, failed, cancelled; several comma-separated)')
    .option('--type <type>', 'only jobs of this type')
    .option('--limit <n>', 'at most this many (default: all)')
    .addHelpText('after', '\nExamples:\n  $ crucible job list\n  $ crucible job list --state queued,running --json\n')
    .action(async (options: { state?: string; type?: string; limit?: string }) => {
      const { client } = clientOf(globals());
      const query = new URLSearchParams();
      if (options.state) query.set('state', options.state);
      if (options.type) query.set('type', options.type);
      let items: JobView[];
      if (options.limit !== undefined) {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliError('--limit must be a whole number from 1 to 500.', EXIT.usage, 'usage');
        query.set('limit', String(limit));
        items = (await client.request<{ items: JobView[] }>('GET', `/api/v1/jobs?${query}`)).items;
      } else {
        items = await client.listAll<JobView>(`/api/v1/jobs${query.size ? `?${query}` : ''}`);
      }
      emit(globals(), { items }, () =>
        table(
          ['ID', 'TYPE', 'STATE', 'PRIORITY', 'FAILED', 'CREATED', 'FINISHED'],
          items.map((j) => [j.id, j.type, j.cancel_requested && j.state === 'running' ? 'running (cancelling)' : j.state, j.priority, j.failed_attempts, j.created_at, j.finished_at]),
        ),
      );
    });

  job
    .command('show')
    .description('A job: its state, payload, attempts and error')
    .argument('<id>', 'the job id, as shown by crucible job list')
    .addHelpText('after', '\nExamples:\n  $ crucible job show job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n  $ crucible job show job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K --json\n')
    .action(async (id: string) => {
      const shown = await clientOf(globals()).client.request<JobView>('GET', jobPath(id));
      emit(globals(), shown, () =>
        table(
          ['FIELD', 'VALUE'],
          [
            ['id', shown.id],
            ['type', shown.type],
            ['state', shown.state + (shown.cancel_requested && shown.state === 'running' ? ' (cancel requested)' : '')],
            ['priority', shown.priority],
            ['attempts', `${shown.failed_attempts} failed of ${shown.max_attempts}`],
            ['resources', `cpu ${shown.resources.cpu}, memory ${shown.resources.memory_mb} MB, gpus ${shown.resources.gpus}`],
            ['worker', shown.worker_id],
            ['created', shown.created_at],
            ['started', shown.started_at],
            ['finished', shown.finished_at],
            ['error', shown.error ? `${shown.error.message}${shown.error.code ? ` (${shown.error.code})` : ''}` : null],
            ['payload', JSON.stringify(shown.payload)],
            ['result', shown.result === null ? null : JSON.stringify(shown.result)],
          ],
        ),
      );
    });

  job
    .command('logs')
    .description("A job's events (logs, metrics, progress, state changes); --follow streams them until the job ends")
    .argument('<id>', 'the job id')
    .option('-f, --follow', 'stream new events until the job ends; exit 1 when it failed or was cancelled')
    .option('--after <seq>', 'only events after this sequence number')
    .addHelpText(
      'after',
      '\nWith --json, each event is one JSON object per line.\n\nExamples:\n  $ crucible job logs job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n  $ crucible job logs job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K --follow\n  $ crucible job logs job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K --after 120 --json\n',
    )
    .action(async (id: string, options: { follow?: boolean; after?: string }) => {
      const after = options.after === undefined ? 0 : Number(options.after);
      if (!Number.isInteger(after) || after < 0) throw new CliError('--after must be a whole number (a sequence number).', EXIT.usage, 'usage');
      if (options.follow) {
        outcome(await followJob(globals(), id, after));
        return;
      }
      const { client } = clientOf(globals());
      let cursor: string | null = String(after);
      while (cursor !== null) {
        const page: { items: JobEventView[]; next_cursor: string | null } = await client.request('GET', `${jobPath(id)}/events?limit=1000&after=${cursor}`);
        for (const event of page.items) print(globals(), event);
        cursor = page.next_cursor;
      }
    });

  job
    .command('cancel')
    .description('Cancel a job: at once while it waits, at its next heartbeat while it runs')
    .argument('<id>', 'the job id')
    .addHelpText('after', '\nExamples:\n  $ crucible job cancel job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n')
    .action(async (id: string) => {
      const cancelled = await clientOf(globals()).client.request<JobView>('POST', `${jobPath(id)}/cancel`);
      emit(globals(), cancelled, () =>
        cancelled.state === 'running' ? `Asked job ${cancelled.id} to stop; its worker cancels it at the next heartbeat.` : `Job ${cancelled.id} is ${cancelled.state}.`,
      );
    });

  job
    .command('retry')
    .description('Run a failed or cancelled job again, with all its attempts')
    .argument('<id>', 'the job id')
    .addHelpText('after', '\nExamples:\n  $ crucible job retry job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n  $ crucible job retry job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K && crucible job logs job_01JD0Z6T9W2Q4S8Y3M6N5P7R1K --follow\n')
    .action(async (id: string) => {
      const retried = await clientOf(globals()).client.request<JobView>('POST', `${jobPath(id)}/retry`);
      emit(globals(), retried, () => `Job ${retried.id} is ${retried.state} again. Follow it with: crucible job logs ${retried.id} --follow`);
    });
}
